using System.Globalization;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Inference;
using OnnxKit.IR;
using OnnxKit.Server;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// The JSON request parser's fast path (flat data arrays parsed straight into the tensor type) against independent
/// references: .NET's own float/double parsing of each token, and the general path taken by nested arrays.
/// </summary>
[TestClass]
public sealed class InferRequestParsingTests
{
    private static Predictor _image = null!, _mixed = null!;

    [ClassInitialize]
    public static void Init(TestContext _)
    {
        var g = new GraphBuilder("image");
        var x = g.Input("x", ElementType.Float32, "batch", 784);
        g.Output(Op.Relu(x), "y");
        _image = Predictor.FromBytes(g.Build().ToBytes());
        _mixed = Predictor.FromBytes(TestModels.Mixed());
    }

    [ClassCleanup]
    public static void Cleanup() { _image.Dispose(); _mixed.Dispose(); }

    private static InferRequest Parse(Predictor p, string json) => InferRequest.Parse(Encoding.UTF8.GetBytes(json), default, p.Name, p.Info, allowNan: false);

    private static string Request(string name, string datatype, string shape, string data, string extra = "") =>
        $"{{\"inputs\": [{{\"name\": \"{name}\", \"datatype\": \"{datatype}\", \"shape\": {shape}, \"data\": {data}{extra}}}]}}";

    [TestMethod]
    public void FloatsEqualDotNetParsingBitForBit()
    {
        // Pixel values (the fast decimal path), round-trip strings of random floats (mostly the general parser),
        // integers, exponents and negative zero, separated by assorted whitespace.
        var rng = new Random(7);
        var tokens = new List<string>();
        for (int k = 0; k < 256; k++) tokens.Add((k / 255f).ToString("R", CultureInfo.InvariantCulture));
        while (tokens.Count < 700) tokens.Add(((float)(rng.NextDouble() * 2e6 - 1e6) / (float)Math.Pow(10, rng.Next(0, 12))).ToString("R", CultureInfo.InvariantCulture));
        tokens.AddRange(["0", "-0", "7", "-1234567", "12345678", "1e-3", "2.5E+2", "-0.000001", "0.1234567", "0.12345678", "3.4028235E+38"]);
        while (tokens.Count < 784) tokens.Add("0.5");
        string[] gaps = [",", ", ", " ,", ",\n", "\t,\r\n "];
        var data = "[ " + string.Concat(tokens.Select((t, i) => i == 0 ? t : gaps[i % gaps.Length] + t)) + "\n]";
        var parsed = Parse(_image, Request("x", "FP32", "[1, 784]", data)).Inputs["x"].ToFloats();
        for (int i = 0; i < tokens.Count; i++)
            Assert.AreEqual(BitConverter.SingleToInt32Bits(float.Parse(tokens[i], CultureInfo.InvariantCulture)), BitConverter.SingleToInt32Bits(parsed[i]),
                $"element {i} '{tokens[i]}' parsed as {parsed[i]:R}");
    }

    [TestMethod]
    public void FastFloatPathRoundsLikeTheGeneralParserNearMidpoints()
    {
        // The hard cases of a decimal → double → float fast path: decimals within half a double ulp of a midpoint between
        // two floats (15 significant digits of the midpoint: about a fifth of them round to the midpoint itself in
        // double, and only a check for that keeps the float correctly rounded), the midpoints' own round-trip strings,
        // round-trip strings of floats (the common case) and 15-digit decimals of random doubles.
        var rng = new Random(11);
        var tokens = new List<string>();
        while (tokens.Count < 784 * 40)
        {
            float f = (float)(Math.Pow(10, rng.NextDouble() * 11 - 4) * (rng.Next(2) == 0 ? 1 : -1)); // |f| in [1e-4, 1e7)
            double midpoint = ((double)f + MathF.BitIncrement(Math.Abs(f)) * Math.Sign(f)) / 2;
            tokens.Add(midpoint.ToString("G15", CultureInfo.InvariantCulture));
            tokens.Add(midpoint.ToString("R", CultureInfo.InvariantCulture));
            tokens.Add(f.ToString("R", CultureInfo.InvariantCulture));
            tokens.Add((rng.NextDouble() * Math.Pow(10, rng.Next(-4, 8))).ToString("G15", CultureInfo.InvariantCulture));
        }
        Assert.IsTrue(tokens.Count(t => !t.Contains('E')) > tokens.Count * 9 / 10, "mostly fixed notation (the fast path takes no exponents)");
        for (int r = 0; r < tokens.Count / 784; r++)
        {
            var chunk = tokens.GetRange(r * 784, 784);
            var parsed = Parse(_image, Request("x", "FP32", "[1, 784]", "[" + string.Join(",", chunk) + "]")).Inputs["x"].ToFloats();
            for (int i = 0; i < chunk.Count; i++)
                Assert.AreEqual(BitConverter.SingleToInt32Bits(float.Parse(chunk[i], CultureInfo.InvariantCulture)), BitConverter.SingleToInt32Bits(parsed[i]),
                    $"'{chunk[i]}' parsed as {parsed[i]:R}");
        }
    }

    [TestMethod]
    public void FlatAndNestedArraysGiveTheSameTensor()
    {
        var values = Enumerable.Range(0, 784).Select(i => ((i * 37) % 255 / 255f).ToString("R", CultureInfo.InvariantCulture)).ToArray();
        var flat = Parse(_image, Request("x", "FP32", "[2, 392]", "[" + string.Join(",", values) + "]")).Inputs["x"];
        var nested = Parse(_image, Request("x", "FP32", "[2, 392]", "[[" + string.Join(",", values[..392]) + "], [" + string.Join(",", values[392..]) + "]]")).Inputs["x"];
        CollectionAssert.AreEqual(new long[] { 2, 392 }, flat.Shape);
        CollectionAssert.AreEqual(nested.ToFloats(), flat.ToFloats());
    }

    [TestMethod]
    public void IntegersBooleansAndDoublesTakeTheFastPathWithTheirOwnChecks()
    {
        string json = "{\"inputs\": [" +
            "{\"data\": [9007199254740993, -2, 3, 4], \"name\": \"a\", \"datatype\": \"INT64\", \"shape\": [2, 2]}," +
            "{\"name\": \"flag\", \"datatype\": \"BOOL\", \"shape\": [2, 2], \"data\": [true, false, 1, 0]}," +
            "{\"name\": \"d\", \"datatype\": \"FP64\", \"shape\": [2, 2], \"data\": [0.1, -2.5e-300, 1e300, 0.30000000000000004]}," +
            "{\"name\": \"k\", \"datatype\": \"INT32\", \"shape\": [2], \"data\": [2147483647, -2147483648]}]}";
        var r = Parse(_mixed, json).Inputs;
        CollectionAssert.AreEqual(new long[] { 9007199254740993, -2, 3, 4 }, (long[])r["a"].Data!);
        CollectionAssert.AreEqual(new[] { true, false, true, false }, (bool[])r["flag"].Data!);
        CollectionAssert.AreEqual(new[] { 0.1, -2.5e-300, 1e300, 0.30000000000000004 }, (double[])r["d"].Data!);
        CollectionAssert.AreEqual(new[] { int.MaxValue, int.MinValue }, (int[])r["k"].Data!);
    }

    [TestMethod]
    public void MalformedOrMistypedElementsAreNamed400s()
    {
        void Expect(Predictor p, string json, params string[] parts)
        {
            var e = Assert.ThrowsExactly<ProtocolException>(() => Parse(p, json));
            Assert.AreEqual(400, e.Status);
            foreach (var part in parts) StringAssert.Contains(e.Message, part);
        }
        string Ints(string data) => "{\"inputs\": [{\"name\": \"k\", \"datatype\": \"INT32\", \"shape\": [3], \"data\": " + data + "}]}";
        Expect(_image, Request("x", "FP32", "[1, 4]", "[1, 2,, 3]"), "input 'x': element 2 is missing, expected a number");
        Expect(_image, Request("x", "FP32", "[1, 3]", "[1 2 3]"), "input 'x': shape [1, 3] needs 3 values, data has 1");
        Expect(_image, Request("x", "FP32", "[1, 2]", "[1 2, 3]"), "malformed JSON in input 'x': expected ',' after element 0");
        Expect(_image, Request("x", "FP32", "[1, 3]", "[1, +2, 3]"), "input 'x': element 1 is +2, expected a number");
        Expect(_image, Request("x", "FP32", "[1, 3]", "[1, .5, 3]"), "input 'x': element 1 is .5, expected a number");
        Expect(_image, Request("x", "FP32", "[1, 3]", "[1, true, 3]"), "input 'x': element 1 is true, expected a number");
        Expect(_image, Request("x", "FP32", "[1, 3]", "[1, 2x, 3]"), "input 'x': element 1 is 2x, expected a number");
        Expect(_mixed, Ints("[1, 2.5, 3]"), "input 'k': element 1 is 2.5, expected an integer");
        Expect(_mixed, Ints("[1, 2, 4294967296]"), "input 'k': element 2 = 4294967296 is out of range for INT32");
        // The envelope stays strictly checked: a broken structure after a flat array is still malformed JSON.
        Expect(_image, "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [1]}", "malformed JSON");
    }

    [TestMethod]
    public void EnvelopeAfterTakenArraysIsReadWholeAndErrorsPointAtTheRealByte()
    {
        // Properties after each taken array (and a second input) are still seen: the envelope is the request with the
        // arrays emptied, not cut short.
        string json = "{\"inputs\": [" +
            "{\"name\": \"a\", \"datatype\": \"INT64\", \"shape\": [2, 2], \"data\": [1, 2, 3, 4], \"parameters\": {\"note\": \"]\"}}," +
            "{\"data\": [ true , false,1,0 ], \"name\": \"flag\", \"datatype\": \"BOOL\", \"shape\": [2, 2]}," +
            "{\"name\": \"d\", \"datatype\": \"FP64\", \"shape\": [2, 2], \"data\": [0.5, 1.5, 2.5, 3.5]}," +
            "{\"name\": \"k\", \"datatype\": \"INT32\", \"shape\": [2], \"data\": []}]," +
            " \"outputs\": [{\"name\": \"twice_a\"}]}";
        var shortK = Assert.ThrowsExactly<ProtocolException>(() => Parse(_mixed, json));
        StringAssert.Contains(shortK.Message, "input 'k'", "the fourth input, after three taken arrays, is still read: " + shortK.Message);
        var r = Parse(_mixed, json.Replace("\"data\": []", "\"data\": [5, 6]")).Inputs;
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4 }, (long[])r["a"].Data!);
        CollectionAssert.AreEqual(new[] { true, false, true, false }, (bool[])r["flag"].Data!);
        CollectionAssert.AreEqual(new[] { 0.5, 1.5, 2.5, 3.5 }, (double[])r["d"].Data!);
        CollectionAssert.AreEqual(new[] { 5, 6 }, (int[])r["k"].Data!);

        // A syntax error after a long flat array: the message names the byte .NET's own parser names in the whole request.
        string broken = Request("x", "FP32", "[1, 784]", "[" + string.Join(", ", Enumerable.Repeat("0.25", 784)) + "]", extra: ", \"parameters\": {\"a\" 1}");
        string expected = "";
        try { System.Text.Json.JsonDocument.Parse(broken); } catch (System.Text.Json.JsonException e) { expected = e.Message; }
        Assert.IsTrue(expected.Contains("BytePositionInLine", StringComparison.Ordinal), expected);
        var error = Assert.ThrowsExactly<ProtocolException>(() => Parse(_image, broken));
        Assert.AreEqual(400, error.Status);
        Assert.AreEqual("malformed JSON: " + expected, error.Message);
    }
}
