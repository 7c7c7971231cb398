using System.Collections.Concurrent;
using TorchSharp;

namespace GridSweep.TrainerNode.Actors;

/// <summary>
/// A slot's own thread, kept for the node's lifetime and given one trial at a time. Training blocks for minutes, so
/// it cannot run on the thread pool (it would starve the pool that the fused CPU kernels and the actors need:
/// measured epochs 3-5x slower); and a new thread per trial cost every small trial a thread start and LibTorch a new
/// OpenMP team (measured: 2.4 ms of a 10 ms trial).
/// </summary>
internal sealed class SlotThread : IDisposable
{
    private readonly BlockingCollection<Action> work = new();

    /// <param name="torchThreads">The slot's intra-op threads: LibTorch keeps the setting per thread, so it is set on this one.</param>
    public SlotThread(string name, int torchThreads)
    {
        var thread = new Thread(() =>
        {
            if (torchThreads > 0)
                torch.set_num_threads(torchThreads);
            foreach (var item in work.GetConsumingEnumerable())
                item();
        })
        { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>Runs <paramref name="body"/> on the slot's thread once the trial before it has finished.</summary>
    public Task<T> Run<T>(Func<T> body)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        work.Add(() =>
        {
            try
            {
                result.SetResult(body());
            }
            catch (Exception error)
            {
                result.SetException(error);
            }
        });
        return result.Task;
    }

    /// <summary>The thread ends after the trial it is training (its cancellation is the caller's).</summary>
    public void Dispose() => work.CompleteAdding();
}
