using System.Buffers;
using System.Globalization;
using System.Text;

namespace GridSweep.Runtime.Metrics;

/// <summary>
/// Builds InfluxDB line protocol as UTF-8 straight into one reusable buffer (no string per point):
/// <c>measurement,tag=v field=1.5,n=3i,s="x" 946684801000000000\n</c>. Escapes as the protocol asks:
/// comma and space in measurements; comma, equals and space in tag keys, tag values and field keys; double
/// quote and backslash in string fields. Line breaks, which would end the line, become spaces. Empty tag
/// values are left out (the protocol has no empty tag) and so are non-finite floats (it has no NaN).
/// </summary>
internal sealed class LineProtocolBuffer
{
    private static readonly SearchValues<char> MeasurementSpecials = SearchValues.Create(", \n\r");
    private static readonly SearchValues<char> KeySpecials = SearchValues.Create(",= \n\r");
    private static readonly SearchValues<char> StringSpecials = SearchValues.Create("\"\\\n\r");

    private byte[] _bytes;
    private int _length;
    private int _lineStart;
    private bool _hasField;

    public LineProtocolBuffer(int initialCapacity = 1 << 16) => _bytes = new byte[initialCapacity];

    public int Length => _length;

    public ReadOnlyMemory<byte> Written => _bytes.AsMemory(0, _length);

    public void Clear() => _length = _lineStart = 0;

    public override string ToString() => Encoding.UTF8.GetString(_bytes, 0, _length);

    public LineProtocolBuffer Measurement(string name)
    {
        _lineStart = _length;
        _hasField = false;
        WriteEscaped(name, MeasurementSpecials, backslashEscapes: true);
        return this;
    }

    public LineProtocolBuffer Tag(string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return this;
        WriteByte((byte)',');
        WriteEscaped(key, KeySpecials, backslashEscapes: true);
        WriteByte((byte)'=');
        WriteEscaped(value, KeySpecials, backslashEscapes: true);
        return this;
    }

    public LineProtocolBuffer Tag(string key, long value)
    {
        WriteByte((byte)',');
        WriteEscaped(key, KeySpecials, backslashEscapes: true);
        WriteByte((byte)'=');
        WriteNumber(value);
        return this;
    }

    /// <summary>A float field; left out when NaN or infinite.</summary>
    public LineProtocolBuffer Field(string key, double value)
    {
        if (!double.IsFinite(value))
            return this;
        FieldKey(key);
        Ensure(32);
        value.TryFormat(_bytes.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture);
        _length += written;
        return this;
    }

    /// <summary>An integer field (<c>3i</c>).</summary>
    public LineProtocolBuffer Field(string key, long value)
    {
        FieldKey(key);
        WriteNumber(value);
        WriteByte((byte)'i');
        return this;
    }

    public LineProtocolBuffer Field(string key, string value)
    {
        FieldKey(key);
        WriteByte((byte)'"');
        WriteEscaped(value, StringSpecials, backslashEscapes: false);
        WriteByte((byte)'"');
        return this;
    }

    /// <summary>Ends the line with its timestamp in nanoseconds.</summary>
    public void End(long timestampNanoseconds)
    {
        if (!_hasField)
            throw new InvalidOperationException("a line protocol point needs at least one field");
        WriteByte((byte)' ');
        WriteNumber(timestampNanoseconds);
        WriteByte((byte)'\n');
    }

    /// <summary>Drops the line begun by the last <see cref="Measurement"/>.</summary>
    public void Abandon() => _length = _lineStart;

    private void FieldKey(string key)
    {
        WriteByte(_hasField ? (byte)',' : (byte)' ');
        _hasField = true;
        WriteEscaped(key, KeySpecials, backslashEscapes: true);
        WriteByte((byte)'=');
    }

    private void WriteNumber(long value)
    {
        Ensure(24);
        value.TryFormat(_bytes.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    private void WriteByte(byte value)
    {
        Ensure(1);
        _bytes[_length++] = value;
    }

    /// <summary>
    /// Writes <paramref name="text"/> with each special character escaped by a backslash. Line breaks become
    /// a space, itself escaped where a space is special (<paramref name="backslashEscapes"/>: the unquoted
    /// parts of a line); inside a quoted string a backslash or quote is escaped instead.
    /// </summary>
    private void WriteEscaped(string text, SearchValues<char> specials, bool backslashEscapes)
    {
        ReadOnlySpan<char> rest = text;
        Ensure(Encoding.UTF8.GetMaxByteCount(rest.Length) + rest.Length);
        while (true)
        {
            var special = rest.IndexOfAny(specials);
            var plain = special < 0 ? rest : rest[..special];
            _length += Encoding.UTF8.GetBytes(plain, _bytes.AsSpan(_length));
            if (special < 0)
                return;
            var c = rest[special];
            if (c is '\n' or '\r')
            {
                if (backslashEscapes)
                    _bytes[_length++] = (byte)'\\';
                _bytes[_length++] = (byte)' ';
            }
            else
            {
                _bytes[_length++] = (byte)'\\';
                _bytes[_length++] = (byte)c;
            }
            rest = rest[(special + 1)..];
        }
    }

    private void Ensure(int more)
    {
        if (_length + more <= _bytes.Length)
            return;
        Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
    }
}
