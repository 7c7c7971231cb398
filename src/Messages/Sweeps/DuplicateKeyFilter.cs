using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GridSweep.Messages.Sweeps;

/// <summary>
/// Sits between the YAML parser and the representation model, reports every repeated mapping key and drops it
/// together with its value. The representation model throws on the first duplicate, which would hide every
/// other mistake in the file; YAML itself says a later duplicate must not silently win either.
/// </summary>
internal sealed class DuplicateKeyFilter(IParser inner, Action<RepeatedKey> report) : IParser
{
    private readonly Stack<Frame> frames = new();

    public ParsingEvent? Current => inner.Current;

    /// <summary>Where the last event read so far ends: the best place to point at when the scanner fails without one.</summary>
    public Mark LastEnd { get; private set; } = Mark.Empty;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
            return false;
        LastEnd = inner.Current!.End;

        while (inner.Current is Scalar key && frames.TryPeek(out var top) && top.IsRepeatedKey(key, out var first))
        {
            report(new RepeatedKey(YamlPath.Join(top.Path, key.Value), key.Value, key.Start, first));
            inner.MoveNext(); // onto the value
            SkipNode();
        }

        Track(inner.Current!);
        return true;
    }

    /// <summary>Consumes the node under the cursor, nested content included, and stops on the event after it.</summary>
    private void SkipNode()
    {
        var depth = 0;
        do
        {
            depth += inner.Current switch
            {
                MappingStart or SequenceStart => 1,
                MappingEnd or SequenceEnd => -1,
                _ => 0,
            };
        }
        while (inner.MoveNext() && depth > 0);
    }

    private void Track(ParsingEvent e)
    {
        switch (e)
        {
            case DocumentStart:
                frames.Clear();
                break;
            case MappingStart or SequenceStart:
                frames.Push(new Frame(frames.TryPeek(out var parent) ? parent.ChildPath() : "", e is MappingStart));
                break;
            case MappingEnd or SequenceEnd:
                frames.Pop();
                NodeDone(key: null);
                break;
            case Scalar scalar:
                NodeDone(scalar);
                break;
            case AnchorAlias:
                NodeDone(key: null);
                break;
        }
    }

    private void NodeDone(Scalar? key)
    {
        if (frames.TryPeek(out var top))
            top.NodeDone(key);
    }

    private sealed class Frame(string path, bool isMapping)
    {
        private readonly Dictionary<string, Mark> keys = [];
        private bool atKey = true;
        private string currentKey = "?";
        private int index;

        public string Path { get; } = path;

        public bool IsRepeatedKey(Scalar key, out Mark first)
        {
            first = Mark.Empty;
            return isMapping && atKey && keys.TryGetValue(key.Value, out first);
        }

        public string ChildPath() => isMapping ? YamlPath.Join(Path, currentKey) : $"{Path}[{index}]";

        /// <param name="key">The scalar that completed the node, if it was one.</param>
        public void NodeDone(Scalar? key)
        {
            if (!isMapping)
            {
                index++;
                return;
            }

            if (atKey)
            {
                // Complex keys (mappings, aliases) get no duplicate check; the schema rejects them anyway.
                currentKey = key?.Value ?? "?";
                if (key is not null)
                    keys.TryAdd(key.Value, key.Start);
            }

            atKey = !atKey;
        }
    }
}

internal sealed record RepeatedKey(string Path, string Key, Mark Start, Mark First);

internal static class YamlPath
{
    public static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";
}
