using System.Collections.Concurrent;

namespace GridSweep.TrainerNode.Data;

internal static class Chunked
{
    /// <summary>
    /// Workers for long CPU work on the thread pool: all cores but one. An unbounded loop takes every pool
    /// thread for seconds, and Akka's scheduler (cluster heartbeats) wakes through pool timers: a node that
    /// built its multi-hot rows that way sent heartbeats 2-6 s late and was marked unreachable (measured:
    /// worst stall 4.65 s unbounded, 0.64 s with cores - 1).
    /// </summary>
    public static int Workers => Math.Max(1, Environment.ProcessorCount - 1);

    public static ParallelOptions Options(CancellationToken cancellationToken = default) =>
        new() { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Workers };

    /// <summary>
    /// Runs <paramref name="body"/> over <c>[0, count)</c> in chunks on <see cref="Workers"/> threads; each worker gets its
    /// own state (a tokenizer, a buffer), handed to <paramref name="finish"/> when the worker is done.
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
            Options(cancellationToken),
            createState,
            (range, _, state) =>
            {
                body(range.Item1, range.Item2, state);
                return state;
            },
            state => finish?.Invoke(state));
    }
}
