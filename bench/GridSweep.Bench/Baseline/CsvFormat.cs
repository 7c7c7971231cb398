// The CSV format of the pre-ledger RunFolder of commit 6d71c7d (src/Coordinator/Results/CsvFormat.cs), kept only
// for the baseline of `bench ledger` (CsvRunFolder), frozen with it.
// Nothing in the product uses it; do not fix or extend it here, or the baseline stops being what shipped.
// Changes from the original: namespace and `internal`.

using System.Globalization;
using System.Text;

namespace GridSweep.Bench.Baseline;

/// <summary>RFC 4180 CSV with invariant numbers; non-finite values as nan / inf / -inf, which pandas and numpy read.</summary>
internal static class CsvFormat
{
    public static string Number(double value) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public static double ParseNumber(string text) => text switch
    {
        "nan" or "NaN" or "" => double.NaN,
        "inf" or "Infinity" => double.PositiveInfinity,
        "-inf" or "-Infinity" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    public static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";

    public static string Line(IEnumerable<string> fields) => string.Join(',', fields);

    /// <summary>Splits one CSV record given as one line (a quoted line break must not occur in it; see <see cref="ReadRecords"/>).</summary>
    public static List<string> Split(string line)
    {
        using var reader = new StringReader(line);
        return ReadRecords(reader).FirstOrDefault().Fields ?? [""];
    }

    /// <summary>
    /// The records of a CSV text, each with its fields. A quoted field may hold line breaks (an error message
    /// does), so a record may span lines. <c>Complete</c> is false for a last record cut off inside a quoted
    /// field (a crash mid-write): its fields are what was there.
    /// </summary>
    public static IEnumerable<(List<string> Fields, bool Complete)> ReadRecords(TextReader reader)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        int next;
        while ((next = reader.Read()) >= 0)
        {
            var c = (char)next;
            any = true;
            if (quoted)
            {
                if (c == '"' && reader.Peek() == '"') { current.Append('"'); reader.Read(); }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(current.ToString()); current.Clear(); }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && reader.Peek() == '\n')
                    reader.Read();
                fields.Add(current.ToString());
                current.Clear();
                yield return (fields, true);
                fields = [];
                any = false;
            }
            else current.Append(c);
        }
        if (any)
        {
            fields.Add(current.ToString());
            yield return (fields, !quoted);
        }
    }
}
