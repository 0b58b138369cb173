using System.Net.Http.Headers;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// classify takes a PNG or JPEG image as one row (grey pixels scaled to [0, 1]), CSV and JSON as before, and answers
/// 415 for any other content type instead of "malformed JSON".
/// </summary>
[TestClass]
public sealed class ClassifyContentTypeTests
{
    // Grey levels whose /255 values are exact enough to compare the model's answer with hand arithmetic.
    private static readonly byte[] Grey = [255, 0, 51];

    private static byte[] Encode(Func<Image<Rgb24>, Stream, Task> save, int width, int height)
    {
        using var img = new Image<Rgb24>(width, height);
        for (int x = 0; x < width; x++) img[x, 0] = new Rgb24(Grey[x % 3], Grey[x % 3], Grey[x % 3]);
        using var ms = new MemoryStream();
        save(img, ms).GetAwaiter().GetResult();
        return ms.ToArray();
    }

    private static async Task<(int Status, System.Text.Json.JsonElement Body)> Post(ServerFixture s, byte[] body, string type)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
        using var r = await s.Http.PostAsync("/v2/models/gemm/classify", content);
        return ((int)r.StatusCode, ServerFixture.Parse(await r.Content.ReadAsStringAsync()));
    }

    [TestMethod]
    public async Task PngIsOneRowOfGreyPixelsScaledToUnit()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm(labels: ["first", "second"]));
        await using var s = await ServerFixture.StartAsync(repo);
        var (status, body) = await Post(s, Encode((i, st) => i.SaveAsPngAsync(st), 3, 1), "image/png");
        Assert.AreEqual(200, status, body.ToString());
        // x = [1, 0, 0.2]: y = [1·1 + 0·2 + 0.2·3 + 0.5, 1·(−1) + 0 + 0.2·1 − 0.5] = [2.1, −1.3]
        var p = body.GetProperty("predictions")[0];
        Assert.AreEqual("first", p.GetProperty("label").GetString());
        Assert.AreEqual(1 / (1 + Math.Exp(-1.3 - 2.1)), p.GetProperty("probability").GetDouble(), 1e-5);
    }

    [TestMethod]
    public async Task JpegOfTheWrongSizeIsNamedAndOtherTypesAre415()
    {
        var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        await using var s = await ServerFixture.StartAsync(repo);
        var (jpeg, jb) = await Post(s, Encode((i, st) => i.SaveAsJpegAsync(st), 4, 1), "image/jpeg");
        Assert.AreEqual(400, jpeg);
        StringAssert.Contains(jb.GetProperty("error").GetString(), "the image is 4×1");
        var (bad, bb) = await Post(s, [1, 2, 3], "image/png");
        Assert.AreEqual(400, bad);
        StringAssert.Contains(bb.GetProperty("error").GetString(), "not a readable PNG or JPEG image");
        var (other, ob) = await Post(s, "x"u8.ToArray(), "application/xml");
        Assert.AreEqual(415, other);
        StringAssert.Contains(ob.GetProperty("error").GetString(), "not 'application/xml'");
        var (csv, _) = await Post(s, "1,0,0.2\n"u8.ToArray(), "text/csv; charset=utf-8");
        Assert.AreEqual(200, csv);
    }
}
