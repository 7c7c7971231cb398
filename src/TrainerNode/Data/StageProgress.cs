using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Reports one stage's progress; safe to call from parallel workers, whose reports stay in increasing order.
/// </summary>
internal sealed class StageProgress(IProgress<DataProgress>? progress, string stage, long total)
{
    private readonly Lock _gate = new();
    private long _done;

    public void Start() => progress?.Report(new DataProgress(stage, 0, total));

    public void Add(long amount)
    {
        if (progress is null)
            return;
        lock (_gate)
        {
            _done += amount;
            progress.Report(new DataProgress(stage, _done, total));
        }
    }

    public void Set(long done)
    {
        if (progress is null)
            return;
        lock (_gate)
        {
            _done = done;
            progress.Report(new DataProgress(stage, _done, total));
        }
    }
}
