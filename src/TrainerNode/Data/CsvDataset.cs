using System.Globalization;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using nietras.SeparatedValues;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// A numeric CSV table with a header row as a dataset: the target column is the label, every other column a
/// feature. The validation rows are a seeded held-out fraction or a second table with the same header; features
/// are standardized by the train split's mean and standard deviation unless the spec says not to. Classes of a
/// binary or multiclass target may be numbers or strings, mapped to indices in sorted order (numbers numerically);
/// the mapping is kept (<see cref="DenseDataset.ClassNames"/>) and shown in the description.
/// </summary>
/// <remarks>
/// Reading needs no TorchSharp: it lives in the trainer's data layer beside the other datasets, and an embedded
/// <c>gridsweep run</c> reads it through <c>ILocalTrainers.PrepareAsync</c> before any trial starts, so a bad
/// table stops the run with its error and nothing is written. Every error names the file, the line, the column
/// and the value.
/// </remarks>
public static class CsvDataset
{
    private const string Dataset = "CSV";

    /// <param name="path">The table: the spec's path, or the node's <c>--data</c> in its place.</param>
    public static DenseDataset Load(DatasetSpec spec, string path)
    {
        var target = spec.Target ?? throw new ArgumentException("a csv dataset needs a target column", nameof(spec));
        var task = spec.Task;
        var table = CsvTable.Read(path, target);
        var (train, validation) = spec.ValidationPath is { } second
            ? (table, CsvTable.Read(second, target, sameHeaderAs: table))
            : table.Split(spec.ValidationFraction, spec.SplitSeed);

        var (classNames, trainTargets, validationTargets) = task == LearningTask.Regression
            ? ([], train.NumericTargets(), validation.NumericTargets())
            : Classes(task, train, validation);

        var width = table.FeatureNames.Count;
        var trainFeatures = train.Features;
        var validationFeatures = validation.Features;
        var (means, stds) = spec.Standardize ? Standardize(width, trainFeatures, validationFeatures) : (null, null);

        // The files as read: a separate validation table has a role of its own; a held-out fraction is rows of the one table.
        List<DataSource> sources = [table.Digest.As(DataRoles.Dataset, table.Path)];
        if (spec.ValidationPath is not null)
            sources.Add(validation.Digest.As(DataRoles.Validation, validation.Path));

        var mapping = classNames.Count == 0 ? "" : ": " + string.Join(", ", classNames.Select((name, index) => $"{index}={name}"));
        var description = string.Create(CultureInfo.InvariantCulture,
            $"CSV {Path.GetFileName(path)}: {train.Count} train / {validation.Count} validation rows, {width} features, " +
            $"target {target} ({task.ToString().ToLowerInvariant()}{mapping}){(spec.Standardize ? ", standardized" : "")}");
        return new DenseDataset(
            new DenseSplit(trainFeatures, width, trainTargets),
            new DenseSplit(validationFeatures, width, validationTargets),
            task,
            classNames,
            description,
            new DataIdentity(sources),
            new TableFeatures(table.FeatureNames, target, means, stds));
    }

    /// <summary>Class indices in sorted order of the values found in either split: numerically when every value is a number.</summary>
    private static (IReadOnlyList<string> Names, float[] Train, float[] Validation) Classes(LearningTask task, CsvTable train, CsvTable validation)
    {
        var all = train.TargetTexts.Concat(validation.TargetTexts).ToArray();
        var numeric = all.All(text => CsvTable.TryParse(text, out _));
        // Numbers are one class whatever their spelling (9 and 9.0); the first spelling seen names it.
        Func<string, string> keyOf = numeric ? text => CsvTable.Parse(text).ToString("R", CultureInfo.InvariantCulture) : text => text;
        var groups = all.GroupBy(keyOf, StringComparer.Ordinal);
        var names = (numeric ? groups.OrderBy(group => CsvTable.Parse(group.Key)) : groups.OrderBy(group => group.Key, StringComparer.Ordinal))
            .Select(group => group.First())
            .ToList();
        var index = names.Select((name, i) => (Key: keyOf(name), Index: i)).ToDictionary(p => p.Key, p => p.Index, StringComparer.Ordinal);
        var source = train;
        if (names.Count < 2)
        {
            var rows = train.Path == validation.Path
                ? $"lines {Math.Min(train.FirstLine, validation.FirstLine)}-{Math.Max(train.LastLine, validation.LastLine)}"
                : $"lines {train.FirstLine}-{train.LastLine}, and every row of {validation.Path}";
            throw new DataSourceException(Dataset, source.Path,
                $"column '{source.TargetName}' has one class only: every row ({rows}) has the value '{names.Single()}'; " +
                $"a {task.ToString().ToLowerInvariant()} task needs two classes or more");
        }
        if (task == LearningTask.Binary && names.Count > 2)
        {
            throw new DataSourceException(Dataset, source.Path,
                $"column '{source.TargetName}' has {names.Count} classes ({Shorten(names)}) but the task is binary; declare task: multiclass");
        }
        float[] Map(CsvTable split) => split.TargetTexts.Select(text => (float)index[keyOf(text)]).ToArray();
        return (names, Map(train), Map(validation));
    }

    private static string Shorten(IReadOnlyList<string> names) =>
        names.Count <= 10 ? string.Join(", ", names) : string.Join(", ", names.Take(10)) + $", ... {names.Count - 10} more";

    /// <summary>Each feature shifted by the train split's mean and divided by its (population) standard deviation; a constant feature only shifted.</summary>
    /// <returns>Per feature, the mean subtracted and the divisor (1 for a constant feature).</returns>
    private static (double[] Means, double[] Stds) Standardize(int width, float[] train, float[] validation)
    {
        var rows = train.Length / width;
        var mean = new double[width];
        var squares = new double[width];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < width; c++)
                mean[c] += train[r * width + c];
        }
        for (var c = 0; c < width; c++)
            mean[c] /= rows;
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < width; c++)
            {
                var d = train[r * width + c] - mean[c];
                squares[c] += d * d;
            }
        }
        var scale = squares.Select(s => Math.Sqrt(s / rows) is var std && std > 0 ? std : 1.0).ToArray();
        foreach (var features in (float[][])[train, validation])
        {
            for (var i = 0; i < features.Length; i++)
                features[i] = (float)((features[i] - mean[i % width]) / scale[i % width]);
        }
        return (mean, scale);
    }
}

/// <summary>
/// One CSV file read and checked: features parsed as numbers (row-major), the target kept as text until the task
/// says what it is, and each row's line number for errors.
/// </summary>
internal sealed class CsvTable
{
    private const string Dataset = "CSV";

    private CsvTable(string path, SourceDigest digest, IReadOnlyList<string> columns, int targetIndex, float[] features, string[] targetTexts, int[] lines)
    {
        Path = path;
        Digest = digest;
        Columns = columns;
        TargetIndex = targetIndex;
        Features = features;
        TargetTexts = targetTexts;
        Lines = lines;
    }

    public string Path { get; }

    /// <summary>The whole file's SHA-256, of the bytes that were parsed.</summary>
    public SourceDigest Digest { get; }
    public IReadOnlyList<string> Columns { get; }
    public int TargetIndex { get; }
    public string TargetName => Columns[TargetIndex];
    public IReadOnlyList<string> FeatureNames => Columns.Where((_, i) => i != TargetIndex).ToList();
    public float[] Features { get; }
    public string[] TargetTexts { get; }
    public int[] Lines { get; }
    public int Count => TargetTexts.Length;
    public int FirstLine => Lines.Length > 0 ? Lines[0] : 2;
    public int LastLine => Lines.Length > 0 ? Lines[^1] : 2;

    /// <param name="sameHeaderAs">For a validation table: the train table, whose header this one must repeat.</param>
    public static CsvTable Read(string path, string target, CsvTable? sameHeaderAs = null)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new DataSourceException(Dataset, path, "does not exist");
        try
        {
            return ReadChecked(path, target, sameHeaderAs);
        }
        catch (Exception e) when (e is not (DataSourceException or OperationCanceledException))
        {
            throw new DataSourceException(Dataset, path, $"cannot be read as CSV: {e.Message}", e);
        }
    }

    private static CsvTable ReadChecked(string path, string target, CsvTable? sameHeaderAs)
    {
        // Read once, hashed and parsed from the same bytes: the table's identity is exactly what it was trained on.
        var bytes = File.ReadAllBytes(path);
        var digest = SourceDigest.Of(bytes);
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true }).From(new MemoryStream(bytes, writable: false));
        var columns = reader.Header.ColNames.Select(name => name.Trim()).ToArray();
        if (columns.Length == 0 || columns.All(c => c.Length == 0))
            throw new DataSourceException(Dataset, path, "line 1: has no header row; expected the column names, comma-separated");
        for (var c = 0; c < columns.Length; c++)
        {
            if (columns[c].Length == 0)
                throw new DataSourceException(Dataset, path, $"line 1, column {c + 1}: the header names no column here");
            var first = Array.IndexOf(columns, columns[c]);
            if (first != c)
                throw new DataSourceException(Dataset, path, $"line 1, column {c + 1}: '{columns[c]}' names column {first + 1} already");
        }
        if (sameHeaderAs is { } train)
            CheckSameHeader(path, columns, train);
        var targetIndex = Array.IndexOf(columns, target);
        if (targetIndex < 0)
        {
            var separator = columns.Length == 1 ? columns[0].FirstOrDefault(c => c is ';' or '\t' or '|') : default;
            var hint = separator == default ? "" : $"; the header looks separated by '{(separator == '\t' ? "\\t" : separator.ToString())}', but tables are read comma-separated";
            throw new DataSourceException(Dataset, path,
                $"line 1: the target column '{target}' is not in the header; its columns are {string.Join(", ", columns)}{hint}");
        }
        if (columns.Length < 2)
            throw new DataSourceException(Dataset, path, $"line 1: '{target}' is the only column; a table needs at least one feature beside its target");

        var width = columns.Length - 1;
        var features = new List<float>();
        var targets = new List<string>();
        var lines = new List<int>();
        foreach (var row in reader)
        {
            var line = row.LineNumberFrom;
            if (row.ColCount == 1 && row[0].Span.Trim().IsEmpty)
                continue; // A blank line.
            if (row.ColCount != columns.Length)
            {
                throw new DataSourceException(Dataset, path,
                    $"line {line}: has {row.ColCount} values but the header has {columns.Length} columns; value: '{Shorten(row.Span.ToString())}'");
            }
            for (var c = 0; c < columns.Length; c++)
            {
                var text = row[c].Span.Trim();
                if (text.IsEmpty || text.Equals("NaN", StringComparison.OrdinalIgnoreCase))
                    throw new DataSourceException(Dataset, path, $"line {line}, column '{columns[c]}': the value is missing ('{text}')");
                if (c == targetIndex)
                {
                    targets.Add(text.ToString());
                    continue;
                }
                if (!TryParse(text, out var value))
                    throw new DataSourceException(Dataset, path, $"line {line}, column '{columns[c]}': feature value '{text}' is not a number");
                features.Add((float)value);
            }
            lines.Add(line);
        }
        if (targets.Count == 0)
            throw new DataSourceException(Dataset, path, "has a header but no rows");
        return new CsvTable(path, digest, columns, targetIndex, [.. features], [.. targets], [.. lines]);
    }

    private static void CheckSameHeader(string path, string[] columns, CsvTable train)
    {
        for (var c = 0; c < Math.Max(columns.Length, train.Columns.Count); c++)
        {
            var mine = c < columns.Length ? $"'{columns[c]}'" : "nothing";
            var theirs = c < train.Columns.Count ? $"'{train.Columns[c]}'" : "nothing";
            if (mine != theirs)
            {
                throw new DataSourceException(Dataset, path,
                    $"line 1, column {c + 1}: the header has {mine} where the train table {train.Path} has {theirs}; a validation table must repeat its header");
            }
        }
    }

    /// <summary>The rows split into train and a held-out validation fraction, shuffled by the seed; row order kept within each.</summary>
    public (CsvTable Train, CsvTable Validation) Split(double fraction, long seed)
    {
        var trainCount = (int)Math.Floor(Count * (1 - fraction) + 1e-9);
        if (trainCount < 1 || trainCount >= Count)
        {
            throw new DataSourceException(Dataset, Path,
                $"has {Count} rows: holding out {fraction:0.###} of them leaves {trainCount} to train on and {Count - trainCount} to validate; both need one at least");
        }
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(unchecked((int)(seed ^ (seed >> 32)))).Shuffle(order);
        var train = order[..trainCount];
        var validation = order[trainCount..];
        Array.Sort(train);
        Array.Sort(validation);
        return (Take(train), Take(validation));
    }

    private CsvTable Take(int[] rows)
    {
        var width = Columns.Count - 1;
        var features = new float[rows.Length * width];
        for (var r = 0; r < rows.Length; r++)
            Features.AsSpan(rows[r] * width, width).CopyTo(features.AsSpan(r * width));
        return new CsvTable(Path, Digest, Columns, TargetIndex, features,
            rows.Select(r => TargetTexts[r]).ToArray(), rows.Select(r => Lines[r]).ToArray());
    }

    /// <summary>Regression targets: every value a number.</summary>
    public float[] NumericTargets()
    {
        var values = new float[Count];
        for (var i = 0; i < Count; i++)
        {
            if (!TryParse(TargetTexts[i], out var value))
                throw new DataSourceException(Dataset, Path, $"line {Lines[i]}, column '{TargetName}': target value '{TargetTexts[i]}' is not a number, as a regression needs");
            values[i] = (float)value;
        }
        return values;
    }

    public static bool TryParse(ReadOnlySpan<char> text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    public static double Parse(string text) => TryParse(text, out var value) ? value : throw new FormatException(text);

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
