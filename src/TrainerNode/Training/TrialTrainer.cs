using System.Diagnostics;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>The result of training one trial: its per-epoch curve and how it ended.</summary>
public sealed record TrialRun(TrialSpec Trial, IReadOnlyList<EpochMetrics> Epochs, TrialSummary Summary);

/// <summary>
/// Trains one trial the Keras way: shuffle each epoch, mini-batches of <c>batch_size</c>, the task's loss
/// (<see cref="TaskObjective"/>) plus the regularization penalty, validation on the whole validation split
/// after each epoch.
/// Same seed, same numbers: the seed drives the initial weights, dropout masks and shuffling, all
/// from the trial's own generators.
/// </summary>
public sealed class TrialTrainer(TrainingData data, Device device)
{
    /// <summary>Tests set this to train with the optimizers' tensor-op form (the GPU path) on CPU.</summary>
    internal bool UseTensorOps { get; init; }

    /// <summary>
    /// Called after each epoch's validation with the model as validated (eval mode, on the device), before the next
    /// epoch trains it further: where a caller keeps the weights of its best epoch (<see cref="Models.BestWeights"/>).
    /// </summary>
    public Action<EpochMetrics, DenseNetwork>? OnValidated { get; init; }

    public TrialRun Train(TrialSpec trial, Action<EpochMetrics>? onEpoch = null, CancellationToken cancellationToken = default)
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
        for (var epoch = 1; epoch <= trial.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            shuffle.Shuffle(order);
            var (trainLoss, trainPenalty, trainMetric) = TrainEpoch(model, optimizer, order, trial, cancellationToken);
            var (valLoss, valMetric) = Evaluate(model, trial.InputLayer);
            var metrics = data.Objective.Epoch(epoch, trainLoss, trainPenalty, valLoss, trainMetric, valMetric, epochClock.Elapsed.TotalSeconds);
            epochs.Add(metrics);
            OnValidated?.Invoke(metrics, model);
            onEpoch?.Invoke(metrics);
            if (metrics.IsDiverged)
                return new TrialRun(trial, epochs, TrialSummary.From(TrialStatus.Diverged, epochs, clock.Elapsed.TotalSeconds,
                    $"loss became {(double.IsNaN(trainLoss) || double.IsNaN(valLoss) ? "NaN" : "infinite")} at epoch {epoch}"));
        }
        return new TrialRun(trial, epochs, TrialSummary.From(TrialStatus.Completed, epochs, clock.Elapsed.TotalSeconds));
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
        var rows = Enumerable.Range(0, validation.Count).ToArray();
        double lossSum = 0, metricSum = 0;
        for (var start = 0; start < rows.Length; start += chunk)
        {
            using var scope = NewDisposeScope();
            using var batch = validation.Batch(rows.AsSpan(start, Math.Min(chunk, rows.Length - start)), inputLayer, device);
            var outputs = model.call(batch);
            lossSum += objective.Loss(outputs, batch.Labels, nn.Reduction.Sum).item<float>();
            metricSum += objective.MetricSum(outputs, batch.Labels);
        }
        return (lossSum / rows.Length, metricSum / rows.Length);
    }
}
