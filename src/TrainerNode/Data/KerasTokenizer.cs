using System.Text;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Splits text into words the way Keras' <c>text_to_word_sequence</c> did for IMDB: lower case, HTML line
/// breaks and the Keras filter characters become spaces, then split on spaces and drop empty words.
/// An instance reuses one buffer, so words cost no allocation; it is not thread-safe, use one per thread.
/// </summary>
public sealed class KerasTokenizer
{
    /// <summary>Keras' default filters: each of these characters separates words. The apostrophe is not one of them.</summary>
    public const string Filters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

    private const string LineBreak = "<br />";

    // ASCII is almost all of the text: one table lookup lower-cases it or turns a filter character into a space.
    private static readonly char[] AsciiMap = BuildAsciiMap();

    private char[] _buffer = new char[4096];

    /// <summary>The words of <paramref name="text"/>; each span is valid until the next call on this instance.</summary>
    public WordEnumerator Words(ReadOnlySpan<char> text)
    {
        if (_buffer.Length < text.Length)
            _buffer = new char[Math.Max(text.Length, _buffer.Length * 2)];
        var length = Normalize(text, _buffer);
        return new WordEnumerator(_buffer.AsSpan(0, length));
    }

    /// <summary>Convenience for tests and tools: the words of <paramref name="text"/> as strings.</summary>
    public static List<string> Tokenize(string text)
    {
        var words = new List<string>();
        foreach (var word in new KerasTokenizer().Words(text))
            words.Add(word.ToString());
        return words;
    }

    // One pass: never longer than the input, since "<br />" shrinks and lower-casing keeps UTF-16 lengths.
    private static int Normalize(ReadOnlySpan<char> text, Span<char> output)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 128)
            {
                if (c == '<' && text[i..].StartsWith(LineBreak, StringComparison.OrdinalIgnoreCase))
                {
                    output[n++] = ' ';
                    i += LineBreak.Length - 1;
                }
                else
                {
                    output[n++] = AsciiMap[c];
                }
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                n += Rune.ToLowerInvariant(new Rune(c, text[++i])).EncodeToUtf16(output[n..]);
            }
            else
            {
                output[n++] = char.ToLowerInvariant(c);
            }
        }
        return n;
    }

    private static char[] BuildAsciiMap()
    {
        var map = new char[128];
        for (var c = 0; c < map.Length; c++)
            map[c] = Filters.Contains((char)c) ? ' ' : char.ToLowerInvariant((char)c);
        return map;
    }

    /// <summary>Walks the space-separated words of normalized text without allocating.</summary>
    public ref struct WordEnumerator
    {
        private ReadOnlySpan<char> _rest;

        internal WordEnumerator(ReadOnlySpan<char> normalized)
        {
            _rest = normalized;
            Current = default;
        }

        public ReadOnlySpan<char> Current { get; private set; }

        public readonly WordEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            var start = _rest.IndexOfAnyExcept(' ');
            if (start < 0)
            {
                _rest = default;
                return false;
            }
            _rest = _rest[start..];
            var end = _rest.IndexOf(' ');
            if (end < 0)
                end = _rest.Length;
            Current = _rest[..end];
            _rest = _rest[end..];
            return true;
        }
    }
}
