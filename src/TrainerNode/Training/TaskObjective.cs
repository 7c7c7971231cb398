using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// What a task asks of the network and the trainer: how many output units, the loss, and the metric
/// (Keras conventions). The only place that knows the tasks apart, so the trainer never branches on one.
/// </summary>
/// <remarks>
/// Outputs are raw: a binary logit, multiclass logits, a regression value. The losses apply the sigmoid or
/// softmax themselves (numerically stable, as Keras does with <c>from_logits</c>). Labels are float
/// (binary 0/1, regression values) or, for multiclass, class indices as int64.
/// </remarks>
public abstract class TaskObjective
{
    private TaskObjective(LearningTask task, int outputUnits)
    {
        Task = task;
        OutputUnits = outputUnits;
    }

    public LearningTask Task { get; }

    /// <summary>Width of the output layer: 1 for binary and regression, the number of classes for multiclass.</summary>
    public int OutputUnits { get; }

    /// <param name="classes">Multiclass only: the number of classes (two or more).</param>
    public static TaskObjective For(LearningTask task, int classes = 2) => task switch
    {
        LearningTask.Binary => new BinaryObjective(),
        LearningTask.Multiclass => classes >= 2 ? new MulticlassObjective(classes)
            : throw new ArgumentOutOfRangeException(nameof(classes), classes, "a multiclass task needs two classes or more"),
        LearningTask.Regression => new RegressionObjective(),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
    };

    /// <summary>The data loss: mean over the batch, or the sum with <see cref="nn.Reduction.Sum"/>.</summary>
    public abstract Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean);

    /// <summary>
    /// The metric summed over the batch, so batches of any size add up: correct predictions (accuracy) for
    /// classification, absolute errors (mean absolute error) for regression. Divide by the rows for the mean.
    /// </summary>
    public abstract double MetricSum(Tensor outputs, Tensor labels);

    /// <summary>One epoch's figures, the metric in the field the task reports it in (the other left NaN).</summary>
    public EpochMetrics Epoch(int epoch, double trainLoss, double trainPenalty, double valLoss, double trainMetric, double valMetric, double seconds) =>
        Task == LearningTask.Regression
            ? new EpochMetrics(epoch, trainLoss, trainPenalty, valLoss, double.NaN, double.NaN, seconds, TrainMae: trainMetric, ValMae: valMetric)
            : new EpochMetrics(epoch, trainLoss, trainPenalty, valLoss, trainMetric, valMetric, seconds);

    /// <summary>One sigmoid unit (a logit), binary cross-entropy, accuracy at probability 0.5.</summary>
    private sealed class BinaryObjective() : TaskObjective(LearningTask.Binary, 1)
    {
        public override Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
            nn.functional.binary_cross_entropy_with_logits(outputs, labels, reduction: reduction);

        /// <summary>Keras binary accuracy: sigmoid(logit) &gt; 0.5, i.e. logit &gt; 0, compared with the label.</summary>
        public override double MetricSum(Tensor outputs, Tensor labels) =>
            outputs.gt(TorchScalars.Zero).eq(labels.gt(TorchScalars.Zero)).sum().item<long>();
    }

    /// <summary>Softmax over the classes, sparse categorical cross-entropy, accuracy of the most probable class.</summary>
    private sealed class MulticlassObjective(int classes) : TaskObjective(LearningTask.Multiclass, classes)
    {
        public override Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
            nn.functional.cross_entropy(outputs, labels, reduction: reduction);

        public override double MetricSum(Tensor outputs, Tensor labels) =>
            outputs.argmax(1).eq(labels).sum().item<long>();
    }

    /// <summary>One linear unit, mean squared error as the loss, mean absolute error as the metric.</summary>
    private sealed class RegressionObjective() : TaskObjective(LearningTask.Regression, 1)
    {
        public override Tensor Loss(Tensor outputs, Tensor labels, nn.Reduction reduction = nn.Reduction.Mean) =>
            nn.functional.mse_loss(outputs, labels, reduction);

        public override double MetricSum(Tensor outputs, Tensor labels) =>
            outputs.sub(labels).abs().sum().to_type(ScalarType.Float64).item<double>();
    }
}
