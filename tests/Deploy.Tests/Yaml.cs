using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// YAML as plain objects (maps, lists, strings), with merge keys (<c>&lt;&lt;: *anchor</c>) resolved as
/// Docker Compose resolves them.
/// </summary>
internal static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static IReadOnlyList<object> LoadAll(string path)
    {
        using var reader = new StreamReader(path);
        var parser = new MergingParser(new Parser(reader));
        parser.Consume<StreamStart>();
        var documents = new List<object>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (Deserializer.Deserialize(parser) is { } document)
                documents.Add(document);
        }
        return documents;
    }

    public static object Load(string path) => LoadAll(path).Single();

    public static IDictionary<object, object?> Map(this object? node) =>
        node as IDictionary<object, object?> ?? new Dictionary<object, object?>();

    public static IReadOnlyList<object?> List(this object? node) => node as IList<object?> is { } list ? list.ToList() : [];

    public static object? Get(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not IDictionary<object, object?> map || !map.TryGetValue(key, out node))
                return null;
        }
        return node;
    }

    public static string? Str(this object? node, params string[] path) => node.Get(path) as string;

    public static IEnumerable<(string Key, object? Value)> Entries(this object? node) =>
        node.Map().Select(kv => ((string)kv.Key, kv.Value));
}
