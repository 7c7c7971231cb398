using System.Collections.Concurrent;

namespace GridSweep.TrainerNode.Data;

internal static class Chunked
{
    /// <summary>
    /// Runs <paramref name="body"/> over <c>[0, count)</c> in chunks on all cores; each worker gets its own state
    /// (a tokenizer, a buffer), handed to <paramref name="finish"/> when the worker is done.
    /// </summary>
    public static void For<TState>(
        int count,
        int chunkSize,
        CancellationToken cancellationToken,
        Func<TState> createState,
        Action<int, int, TState> body,
        Action<TState>? finish = null)
    {
        if (count == 0)
            return;
        Parallel.ForEach(
            Partitioner.Create(0, count, chunkSize),
            new ParallelOptions { CancellationToken = cancellationToken },
            createState,
            (range, _, state) =>
            {
                body(range.Item1, range.Item2, state);
                return state;
            },
            state => finish?.Invoke(state));
    }
}
