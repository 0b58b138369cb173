using System.Globalization;
using System.Text;

namespace OnnxKit.Training.Data;

/// <summary>
/// Reads delimited text tables into a <see cref="TensorDataset"/>: numeric feature columns become one float vector
/// per row, the label column becomes class indices (strings mapped to indices, mapping kept in
/// <see cref="TensorDataset.ClassNames"/>) or float targets.
/// </summary>
public static class CsvReader
{
    /// <summary>Reads a table.</summary>
    /// <exception cref="FormatException">A feature cell is not a number, or a row has the wrong number of fields: names file, line and column.</exception>
    /// <exception cref="InvalidDataException">A class label is outside the class range or not in the given mapping: names file, line and range.</exception>
    public static TensorDataset Read(string path, CsvOptions? options = null)
    {
        options ??= new CsvOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"table '{path}' does not exist", path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        char delimiter = options.Delimiter ?? (ext is ".tsv" or ".tab" ? '\t' : ',');

        var rows = new List<(int Line, string[] Fields)>();
        string[]? header = null;
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0 || line.All(char.IsWhiteSpace)) continue;
            var fields = SplitLine(line, delimiter, path, lineNo);
            if (header is null && options.HasHeader) { header = fields.Select(f => f.Trim()).ToArray(); continue; }
            int expected = header?.Length ?? rows.FirstOrDefault().Fields?.Length ?? fields.Length;
            if (fields.Length != expected)
                throw new FormatException($"{path}: line {lineNo} has {fields.Length} fields, expected {expected} (delimiter '{Escape(delimiter)}')");
            rows.Add((lineNo, fields));
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows");
        int width = rows[0].Fields.Length;
        string ColumnName(int c) => header is null ? $"#{c + 1}" : $"'{header[c]}' (#{c + 1})";

        int IndexOf(string name, string what)
        {
            if (header is null) throw new ArgumentException($"{path}: {what} '{name}' is named, but the table has no header (HasHeader = false)");
            int i = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.Ordinal));
            if (i < 0) throw new ArgumentException($"{path}: {what} '{name}' not found; the columns are {string.Join(", ", header)}");
            return i;
        }

        int labelCol = options.LabelColumn is { } ln ? IndexOf(ln, "label column") : options.LabelColumnIndex ?? width - 1;
        if (labelCol < 0 || labelCol >= width)
            throw new ArgumentOutOfRangeException(nameof(options), $"{path}: label column index {labelCol} is outside the {width} columns");
        var ignored = new HashSet<int>((options.IgnoredColumns ?? []).Select(n => IndexOf(n, "ignored column")));
        int[] featureCols = options.FeatureColumns is { } fc
            ? fc.Select(n => IndexOf(n, "feature column")).ToArray()
            : Enumerable.Range(0, width).Where(c => c != labelCol && !ignored.Contains(c)).ToArray();
        if (featureCols.Length == 0) throw new ArgumentException($"{path}: no feature columns left besides the label column");

        var features = new float[(long)rows.Count * featureCols.Length];
        for (int r = 0; r < rows.Count; r++)
            for (int j = 0; j < featureCols.Length; j++)
            {
                string cell = rows[r].Fields[featureCols[j]].Trim();
                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new FormatException($"{path}: line {rows[r].Line}, column {ColumnName(featureCols[j])}: '{cell}' is not a number");
                // NaN or infinity would turn the fitted standardisation, and then every weight, into NaN.
                if (!float.IsFinite(v))
                    throw new FormatException($"{path}: line {rows[r].Line}, column {ColumnName(featureCols[j])}: '{cell}' is not a finite number; fill or drop missing values first");
                features[(long)r * featureCols.Length + j] = v;
            }

        string[] labelCells = rows.Select(r => r.Fields[labelCol].Trim()).ToArray();
        bool allNumbers = labelCells.All(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        bool allWhole = labelCells.All(c => long.TryParse(c, NumberStyles.Integer, CultureInfo.InvariantCulture, out _));
        var kind = options.Labels switch
        {
            LabelKind.Auto => options.ClassNames is not null || options.NumClasses is not null || !allNumbers || allWhole ? LabelKind.Class : LabelKind.Regression,
            var k => k,
        };
        string source = path;
        if (kind == LabelKind.Regression)
        {
            var targets = new float[rows.Count];
            for (int r = 0; r < rows.Count; r++)
                if (!float.TryParse(labelCells[r], NumberStyles.Float, CultureInfo.InvariantCulture, out targets[r]))
                    throw new FormatException($"{path}: line {rows[r].Line}, column {ColumnName(labelCol)}: '{labelCells[r]}' is not a number (regression target)");
            return new TensorDataset(features, [featureCols.Length], targets, 1, source);
        }

        var labels = new long[rows.Count];
        IReadOnlyList<string> classNames;
        if (options.ClassNames is { } fixedNames)
        {
            var map = fixedNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => (long)p.i, StringComparer.Ordinal);
            for (int r = 0; r < rows.Count; r++)
                if (!map.TryGetValue(labelCells[r], out labels[r]))
                    throw new InvalidDataException($"{path}: line {rows[r].Line}, column {ColumnName(labelCol)}: label '{labelCells[r]}' is not one of the {fixedNames.Count} classes [{string.Join(", ", fixedNames)}]");
            classNames = fixedNames;
        }
        else if (allWhole)
        {
            for (int r = 0; r < rows.Count; r++) labels[r] = long.Parse(labelCells[r], NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (options.NumClasses is null && labels.Max() >= MaxInferredClasses)
            {
                int at = Array.IndexOf(labels, labels.Max());
                throw new InvalidDataException($"{path}: line {rows[at].Line}, column {ColumnName(labelCol)}: label {labels[at]} would make a model of {labels[at] + 1} classes, " +
                    $"more than {MaxInferredClasses:N0}; give the number of classes (--num-classes, CsvOptions.NumClasses) if that is meant");
            }
            int classes = options.NumClasses ?? (int)(labels.Max() + 1);
            for (int r = 0; r < rows.Count; r++)
                if (labels[r] < 0 || labels[r] >= classes)
                    throw new InvalidDataException($"{path}: line {rows[r].Line}, column {ColumnName(labelCol)}: label {labels[r]} is outside the class range [0, {classes})");
            classNames = Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        else
        {
            // Sorted (ordinal) so that a train and a test file holding the same classes get the same mapping.
            classNames = labelCells.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (options.NumClasses is null && classNames.Count > MaxInferredClasses)
                throw new InvalidDataException($"{path}: column {ColumnName(labelCol)} holds {classNames.Count} distinct labels, more than {MaxInferredClasses:N0} classes; " +
                    "is it the label column? Give the number of classes (--num-classes, CsvOptions.NumClasses) if that is meant");
            var map = classNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => (long)p.i, StringComparer.Ordinal);
            for (int r = 0; r < rows.Count; r++) labels[r] = map[labelCells[r]];
        }
        return new TensorDataset(features, [featureCols.Length], labels, classNames, classNames.Count, source);
    }

    private static string Escape(char c) => c == '\t' ? "\\t" : c.ToString();

    /// <summary>The most classes inferred from whole-number or string labels without <see cref="CsvOptions.NumClasses"/>.</summary>
    public const int MaxInferredClasses = 10_000;

    /// <summary>Splits one line; double quotes enclose fields that contain the delimiter, and "" inside them is a quote.</summary>
    private static string[] SplitLine(string line, char delimiter, string path, int lineNo)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"' && current.ToString().Trim().Length == 0) { current.Clear(); quoted = true; }
            else if (c == delimiter) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        if (quoted) throw new FormatException($"{path}: line {lineNo} ends inside a quoted field");
        fields.Add(current.ToString());
        return fields.ToArray();
    }
}
