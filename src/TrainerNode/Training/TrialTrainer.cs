using System.Diagnostics;
using System.Globalization;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Checkpoints;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>Where a trial's training begins: after <paramref name="AfterEpoch"/> (0: from scratch), with the epochs
/// its checkpoint had and the node that trained each.</summary>
public sealed record ResumePoint(int AfterEpoch, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<string> Nodes);

/// <summary>The result of training one trial: its per-epoch curve (from epoch 1, resumed or not) and how it ended.</summary>
public sealed record TrialRun(TrialSpec Trial, IReadOnlyList<EpochMetrics> Epochs, TrialSummary Summary)
{
    /// <summary>The epoch of the checkpoint this run resumed from; 0 when it trained from scratch.</summary>
    public int ResumedAfterEpoch { get; init; }

    /// <summary>The files kept for the trial (its best weights and their description), to be delivered to the run folder.</summary>
    public KeptModelFiles? Kept { get; init; }
}

/// <summary>
/// Trains one trial the Keras way: shuffle each epoch, mini-batches of <c>batch_size</c>, the task's loss
/// (<see cref="TaskObjective"/>) plus the regularization penalty, validation on the whole validation split
/// after each epoch.
/// Same seed, same numbers: the seed drives the initial weights, dropout masks and shuffling, all
/// from the trial's own generators. With a <see cref="Checkpoints"/> store the trial's whole state is saved
/// after every epoch and a run resumes from it, continuing the curve exactly where it stopped.
/// </summary>
public sealed class TrialTrainer(TrainingData data, Device device)
{
    /// <summary>Tests set this to train with the optimizers' tensor-op form (the GPU path) on CPU.</summary>
    internal bool UseTensorOps { get; init; }

    /// <summary>Where the trial's checkpoints are kept and found; none means every run starts from scratch.</summary>
    public CheckpointStore? Checkpoints { get; init; }

    /// <summary>
    /// Keep the trial's best weights (<see cref="BestWeights"/>): held in memory and through checkpoints, and
    /// returned with the run (<see cref="TrialRun.Kept"/>) for delivery to the run folder.
    /// </summary>
    public bool KeepsBestWeights { get; init; }

    /// <summary>The node training, recorded with each epoch in the checkpoints.</summary>
    public string NodeId { get; init; } = "";

    /// <param name="onStart">Called once before training: where it begins (a checkpoint's epochs, or none).</param>
    public TrialRun Train(TrialSpec trial, Action<EpochMetrics>? onEpoch = null, CancellationToken cancellationToken = default,
        Action<ResumePoint>? onStart = null)
    {
        if (trial.Task != data.Task)
            throw new ArgumentException($"trial {trial.Id} is a {trial.Task} task but its data is {data.Task}: {data.Description}", nameof(trial));
        var clock = Stopwatch.StartNew();
        var epochs = new List<EpochMetrics>(trial.Epochs);
        using var generator = new Generator((ulong)trial.Seed, device.type == DeviceType.CUDA ? device : CPU);
        var shuffle = new Random(unchecked((int)trial.Seed));
        using var model = new DenseNetwork(data.Inputs, data.Objective.OutputUnits, trial.ModelConfig, trial.RegularizerConfig, generator);
        model.to(device);
        using var optimizer = KerasOptimizer.Create(trial.OptimizerConfig, model.parameters(), UseTensorOps);
        var order = Enumerable.Range(0, data.Train.Count).ToArray();

        var nodes = new List<string>(trial.Epochs);
        var resumedAfter = Resume(trial, model, optimizer, generator, epochs, nodes, out var kept);
        var best = KeepsBestWeights ? new BestWeights(trial, data, epochs, kept) : null;
        // The shuffle's state is its seed and how often it shuffled: replaying the epochs done puts both the
        // generator and the order where an uninterrupted run has them (a few milliseconds an epoch).
        for (var done = 0; done < resumedAfter; done++)
            shuffle.Shuffle(order);
        onStart?.Invoke(new ResumePoint(resumedAfter, epochs.ToList(), nodes.ToList()));
        if (epochs.Count > 0 && epochs[^1].IsDiverged)
            return Deliver(Diverged(trial, epochs, clock, resumedAfter), best, model);
        // Early stopping is a fold over the epochs: the epochs a checkpoint brings put it where it was.
        var stopping = trial.EarlyStopping is { } criterion ? EarlyStopping.Replay(criterion, epochs) : null;
        if (stopping is { ShouldStop: true } && resumedAfter < trial.Epochs)
            return Deliver(Stopped(trial, epochs, clock, resumedAfter, stopping), best, model);

        for (var epoch = resumedAfter + 1; epoch <= trial.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            shuffle.Shuffle(order);
            var (trainLoss, trainPenalty, trainMetric) = TrainEpoch(model, optimizer, order, trial, cancellationToken);
            var (valLoss, valMetric) = Evaluate(model, trial.InputLayer);
            var metrics = data.Objective.Epoch(epoch, trainLoss, trainPenalty, valLoss, trainMetric, valMetric, epochClock.Elapsed.TotalSeconds);
            epochs.Add(metrics);
            nodes.Add(NodeId);
            best?.Offer(metrics, model);
            // Saved before the epoch is reported: a checkpoint is never more than the trial's last epoch behind what the
            // coordinator has recorded. The last epoch is not saved: the trial's end, with its whole curve, follows at once
            // and is sent again until confirmed; only a crash in between costs that one epoch again (a third of a tiny
            // trial's wall clock is this write with its fsyncs, see bench small-trials).
            if (epoch < trial.Epochs)
                SaveCheckpoint(trial, model, optimizer, generator, epochs, nodes, best?.Files);
            onEpoch?.Invoke(metrics);
            if (metrics.IsDiverged)
                return Deliver(Diverged(trial, epochs, clock, resumedAfter), best, model);
            // Stopped only when it cuts the run short: a criterion met at the last epoch changes nothing.
            stopping = stopping?.After(metrics);
            if (stopping is { ShouldStop: true } && epoch < trial.Epochs)
                return Deliver(Stopped(trial, epochs, clock, resumedAfter, stopping), best, model);
        }
        return Deliver(new TrialRun(trial, epochs, TrialSummary.From(TrialStatus.Completed, epochs, clock.Elapsed.TotalSeconds)) { ResumedAfterEpoch = resumedAfter },
            best, model);
    }

    /// <summary>The run with its kept files, if the trial keeps any.</summary>
    private static TrialRun Deliver(TrialRun run, BestWeights? best, DenseNetwork model) =>
        best is null || run.Epochs.Count == 0 ? run : run with { Kept = best.Finish(run.Epochs[^1], model) };

    private static TrialRun Stopped(TrialSpec trial, List<EpochMetrics> epochs, Stopwatch clock, int resumedAfter, EarlyStopping stopping) =>
        new(trial, epochs, TrialSummary.From(TrialStatus.Completed, epochs, clock.Elapsed.TotalSeconds) with
        {
            StoppedEpoch = epochs[^1].Epoch,
            StopReason = stopping.StopReason,
        }) { ResumedAfterEpoch = resumedAfter };

    private static TrialRun Diverged(TrialSpec trial, List<EpochMetrics> epochs, Stopwatch clock, int resumedAfter)
    {
        var last = epochs[^1];
        return new TrialRun(trial, epochs, TrialSummary.From(TrialStatus.Diverged, epochs, clock.Elapsed.TotalSeconds,
            $"loss became {(double.IsNaN(last.TrainLoss) || double.IsNaN(last.ValLoss) ? "NaN" : "infinite")} at epoch {last.Epoch}")) { ResumedAfterEpoch = resumedAfter };
    }

    /// <summary>What a checkpoint must match to be resumed: the trial, and the data it trains on.</summary>
    private string Identity(TrialSpec trial) => $"{trial.Id} on {data.Description}";

    /// <summary>
    /// Loads the trial's checkpoint into the fresh model, optimizer and generator; returns its epoch (0: none), and
    /// the best weights it kept.
    /// </summary>
    private int Resume(TrialSpec trial, DenseNetwork model, KerasOptimizer optimizer, Generator generator, List<EpochMetrics> epochs,
        List<string> nodes, out KeptModelFiles? kept)
    {
        kept = null;
        if (Checkpoints?.TryLoad(trial.Id, Identity(trial)) is not { } checkpoint)
            return 0;
        using (checkpoint)
        {
            if (checkpoint.Epoch > trial.Epochs)
                return 0;
            if (checkpoint.Tensors.TryGetValue(KeptWeightsTensor, out var weights) && checkpoint.Tensors.TryGetValue(KeptDescriptionTensor, out var description))
                kept = new KeptModelFiles(trial.Id, weights.data<byte>().ToArray(), description.data<byte>().ToArray());
            // A checkpoint taken without best weights (a trainer that kept none) cannot give them back: start over.
            if (KeepsBestWeights && kept is null && EarlyStopping.Replay(BestWeights.Criterion(trial), checkpoint.Info.Epochs).BestEpoch > 0)
                return 0;
            using (no_grad())
            {
                var state = model.state_dict();
                foreach (var (name, tensor) in state)
                {
                    if (!checkpoint.Tensors.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(tensor.shape))
                        throw new InvalidDataException($"checkpoint of trial {trial.Id} lacks {name} or has it in another shape");
                    tensor.copy_(saved);
                }
            }
            optimizer.Restore(checkpoint.Tensors
                    .Where(t => t.Key.StartsWith(TrialCheckpoint.OptimizerPrefix, StringComparison.Ordinal))
                    .ToDictionary(t => int.Parse(t.Key[TrialCheckpoint.OptimizerPrefix.Length..], CultureInfo.InvariantCulture), t => t.Value),
                checkpoint.Info.OptimizerIterations);
            generator.set_state(checkpoint.Tensors[TrialCheckpoint.GeneratorTensor]);
            epochs.AddRange(checkpoint.Info.Epochs);
            nodes.AddRange(checkpoint.Info.Nodes is { } trainedBy && trainedBy.Count == epochs.Count ? trainedBy : epochs.Select(_ => ""));
            return checkpoint.Epoch;
        }
    }

    // The best weights so far travel inside the checkpoint, so a resumed trial's kept epoch always matches its record.
    private const string KeptWeightsTensor = "kept.weights";
    private const string KeptDescriptionTensor = "kept.description";

    private void SaveCheckpoint(TrialSpec trial, DenseNetwork model, KerasOptimizer optimizer, Generator generator, List<EpochMetrics> epochs,
        List<string> nodes, KeptModelFiles? kept)
    {
        if (Checkpoints is null)
            return;
        using var scope = NewDisposeScope();
        List<(string, Tensor)> tensors = [.. model.state_dict().Select(pair => (pair.Key, pair.Value))];
        tensors.AddRange(optimizer.Slots().Select(slot => (TrialCheckpoint.OptimizerPrefix + slot.Slot.ToString(CultureInfo.InvariantCulture), slot.Tensor)));
        tensors.Add((TrialCheckpoint.GeneratorTensor, generator.get_state()));
        if (kept is not null)
        {
            tensors.Add((KeptWeightsTensor, tensor(kept.Weights)));
            tensors.Add((KeptDescriptionTensor, tensor(kept.Description)));
        }
        Checkpoints.TrySave(trial.Id, new TrialCheckpoint.Header(Identity(trial), optimizer.Iterations, epochs.ToList(), [], nodes.ToList()), tensors);
    }

    /// <returns>The epoch's means over its samples: data loss, penalty, and the task's metric.</returns>
    private (double Loss, double Penalty, double Metric) TrainEpoch(
        DenseNetwork model, KerasOptimizer optimizer, int[] order, TrialSpec trial, CancellationToken cancellationToken)
    {
        model.train();
        var objective = data.Objective;
        double lossSum = 0, penaltySum = 0, metricSum = 0;
        for (var start = 0; start < order.Length; start += trial.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = order.AsSpan(start, Math.Min(trial.BatchSize, order.Length - start));
            using var scope = NewDisposeScope();
            using var batch = data.Train.Batch(rows, trial.InputLayer, device);
            var outputs = model.call(batch);
            var dataLoss = objective.Loss(outputs, batch.Labels);
            var penalty = model.Penalty();
            var loss = dataLoss.add(penalty, TorchScalars.One);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();

            lossSum += dataLoss.item<float>() * rows.Length;
            penaltySum += penalty.item<float>() * rows.Length;
            metricSum += objective.MetricSum(outputs, batch.Labels);
        }
        return (lossSum / order.Length, penaltySum / order.Length, metricSum / order.Length);
    }

    /// <summary>The validation loss and metric of <paramref name="model"/>, computed exactly as after each epoch of training.</summary>
    public (double Loss, double Metric) Validate(DenseNetwork model, InputLayer inputLayer) => Evaluate(model, inputLayer);

    private (double Loss, double Metric) Evaluate(DenseNetwork model, InputLayer inputLayer)
    {
        model.eval();
        using var guard = no_grad();
        var validation = data.Validation;
        var objective = data.Objective;
        var chunk = validation.EvaluationRows(inputLayer);
        double lossSum = 0, metricSum = 0;
        for (var start = 0; start < validation.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            using var batch = validation.EvaluationBatch(start, Math.Min(chunk, validation.Count - start), inputLayer, device);
            var outputs = model.call(batch);
            lossSum += objective.Loss(outputs, batch.Labels, nn.Reduction.Sum).item<float>();
            metricSum += objective.MetricSum(outputs, batch.Labels);
        }
        return (lossSum / validation.Count, metricSum / validation.Count);
    }
}
