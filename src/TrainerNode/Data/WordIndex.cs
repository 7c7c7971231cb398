using System.Runtime.InteropServices;
using System.Text.Json;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Word → frequency rank (1 = most frequent), and the Keras <c>imdb.load_data</c> encoding built on it:
/// 0 pads, 1 starts a review, 2 is out-of-vocabulary, a word is its rank + 3, and an index at or beyond
/// <c>numWords</c> becomes 2. Lookups are thread-safe.
/// </summary>
public sealed class WordIndex
{
    public const int Padding = 0;
    public const int Start = 1;
    public const int OutOfVocabulary = 2;
    /// <summary>Keras' <c>index_from</c>: ranks are shifted past the reserved indices.</summary>
    public const int IndexFrom = 3;

    private const string KerasOrigin = "keras word index";
    private const string FrequencyOrigin = "train-frequency word index";
    private const int ChunkSize = 256;

    private readonly Dictionary<string, int> _ranks;
    // Looks words up by span, so tokenizing does not allocate a string per word.
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private WordIndex(Dictionary<string, int> ranks, string origin, SourceDigest? digest = null)
    {
        _ranks = ranks;
        _lookup = ranks.GetAlternateLookup<ReadOnlySpan<char>>();
        Origin = origin;
        Digest = digest;
    }

    /// <summary>Where the ranks came from: "keras word index" or "train-frequency word index".</summary>
    public string Origin { get; }

    public int Count => _ranks.Count;

    /// <summary>A Keras index: the SHA-256 of the file's bytes as they were parsed; null for ranks counted from the reviews.</summary>
    internal SourceDigest? Digest { get; }

    /// <summary>Loads a Keras <c>imdb_word_index.json</c>: <c>{"word": rank, ...}</c>.</summary>
    public static WordIndex LoadKeras(string path)
    {
        Dictionary<string, int>? ranks;
        SourceDigest digest;
        try
        {
            // Read once, hashed and parsed from the same bytes (1.6 MB for Keras' index).
            var bytes = File.ReadAllBytes(path);
            digest = SourceDigest.Of(bytes);
            ranks = JsonSerializer.Deserialize<Dictionary<string, int>>(new MemoryStream(bytes, writable: false));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataSourceException(path, "the word index file does not exist", e);
        }
        catch (JsonException e)
        {
            throw new DataSourceException(path, $"not a Keras word index ({{\"word\": rank, ...}} JSON): {e.Message}", e);
        }
        if (ranks is null || ranks.Count == 0)
            throw new DataSourceException(path, "the word index is empty");
        foreach (var (word, rank) in ranks)
        {
            if (rank < 1 || rank > int.MaxValue - IndexFrom)
                throw new DataSourceException(path, $"word '{word}' has rank {rank}; ranks start at 1");
        }
        return new WordIndex(new Dictionary<string, int>(ranks, StringComparer.Ordinal), KerasOrigin, digest);
    }

    /// <summary>
    /// Ranks every word of <paramref name="texts"/> by its number of occurrences, most frequent first,
    /// equal counts in ordinal string order, so the result does not depend on thread timing.
    /// </summary>
    public static WordIndex FromFrequencies(
        IReadOnlyList<string> texts,
        IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var stage = new StageProgress(progress, DataProgress.Count, texts.Count);
        stage.Start();
        var totals = new Dictionary<string, int>(StringComparer.Ordinal);
        var gate = new Lock();
        Chunked.For(
            texts.Count,
            ChunkSize,
            cancellationToken,
            static () => (Tokenizer: new KerasTokenizer(), Counts: new Dictionary<string, int>(StringComparer.Ordinal)),
            (start, end, local) =>
            {
                var counts = local.Counts.GetAlternateLookup<ReadOnlySpan<char>>();
                for (var i = start; i < end; i++)
                {
                    foreach (var word in local.Tokenizer.Words(texts[i]))
                        CollectionsMarshal.GetValueRefOrAddDefault(counts, word, out _)++;
                }
                stage.Add(end - start);
            },
            local =>
            {
                lock (gate)
                {
                    foreach (var (word, count) in local.Counts)
                        CollectionsMarshal.GetValueRefOrAddDefault(totals, word, out _) += count;
                }
            });

        var ordered = totals.ToArray();
        Array.Sort(ordered, static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        var ranks = new Dictionary<string, int>(ordered.Length, StringComparer.Ordinal);
        for (var i = 0; i < ordered.Length; i++)
            ranks.Add(ordered[i].Key, i + 1);
        return new WordIndex(ranks, FrequencyOrigin);
    }

    /// <summary>The word's frequency rank, or 0 if the index does not know it.</summary>
    public int RankOf(ReadOnlySpan<char> word) => _lookup.TryGetValue(word, out var rank) ? rank : 0;

    /// <summary>The word's Keras index under a vocabulary of <paramref name="numWords"/>: rank + 3, or 2 if unknown or cut off.</summary>
    public int IndexOf(ReadOnlySpan<char> word, int numWords)
    {
        if (!_lookup.TryGetValue(word, out var rank))
            return OutOfVocabulary;
        var index = rank + IndexFrom;
        return index < numWords ? index : OutOfVocabulary;
    }

    /// <summary>
    /// Every word that a vocabulary of <paramref name="numWords"/> keeps, with its index (rank + 3), by index then
    /// word: the whole encoding, for a user who prepares reviews outside GridSweep (<see cref="MultiHotWords"/>).
    /// </summary>
    public IReadOnlyDictionary<string, int> Columns(int numWords)
    {
        var kept = _ranks.Where(pair => pair.Value + IndexFrom < numWords)
            .OrderBy(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal);
        // Insertion order is kept by Dictionary while nothing is removed, so the JSON lists the words by column.
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (word, rank) in kept)
            columns.Add(word, rank + IndexFrom);
        return columns;
    }

    /// <summary>Encodes one review: 1, then the index of each word.</summary>
    public int[] Encode(string text, int numWords)
    {
        var output = new List<int>();
        Encode(text, numWords, new KerasTokenizer(), output);
        return [.. output];
    }

    /// <summary>Appends the review's encoding to <paramref name="output"/>, reusing the caller's tokenizer.</summary>
    internal void Encode(ReadOnlySpan<char> text, int numWords, KerasTokenizer tokenizer, List<int> output)
    {
        output.Add(Start);
        foreach (var word in tokenizer.Words(text))
            output.Add(IndexOf(word, numWords));
    }
}
