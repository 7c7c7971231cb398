using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>Each task's loss and metric against the formulas worked by hand on a few rows.</summary>
public sealed class TaskObjectiveSpecs
{
    private static double Log1PExp(double x) => Math.Log(1 + Math.Exp(x));

    [Fact]
    public void Binary_loss_is_the_mean_cross_entropy_of_the_sigmoid_of_the_logits()
    {
        var objective = TaskObjective.For(LearningTask.Binary);
        using var logits = tensor(new[] { 2f, -1f, 0.5f });
        using var labels = tensor(new[] { 1f, 0f, 0f });
        // -log sigmoid(2), -log(1 - sigmoid(-1)), -log(1 - sigmoid(0.5))
        var expected = (Log1PExp(-2) + Log1PExp(-1) + Log1PExp(0.5)) / 3;

        Assert.Equal(1, objective.OutputUnits);
        Assert.Equal(expected, objective.Loss(logits, labels).item<float>(), 6);
        Assert.Equal(expected * 3, objective.Loss(logits, labels, nn.Reduction.Sum).item<float>(), 5);
    }

    [Fact]
    public void Binary_metric_counts_logits_on_the_labels_side_of_zero()
    {
        var objective = TaskObjective.For(LearningTask.Binary);
        using var logits = tensor(new[] { 2f, -1f, 0.5f, -0.1f });
        using var labels = tensor(new[] { 1f, 0f, 0f, 1f });
        Assert.Equal(2, objective.MetricSum(logits, labels)); // Predicted 1, 0, 1, 0.
    }

    [Fact]
    public void Multiclass_loss_is_the_mean_negative_log_softmax_of_the_true_class()
    {
        var objective = TaskObjective.For(LearningTask.Multiclass, classes: 3);
        using var logits = tensor(new[] { 1f, 2f, 0f, 0.5f, 0.5f, 3f }, [2, 3]);
        using var labels = tensor(new[] { 1L, 0L });
        var first = -(2 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(0)));
        var second = -(0.5 - Math.Log(Math.Exp(0.5) + Math.Exp(0.5) + Math.Exp(3)));

        Assert.Equal(3, objective.OutputUnits);
        Assert.Equal((first + second) / 2, objective.Loss(logits, labels).item<float>(), 6);
        Assert.Equal(first + second, objective.Loss(logits, labels, nn.Reduction.Sum).item<float>(), 5);
    }

    [Fact]
    public void Multiclass_metric_counts_rows_whose_largest_logit_is_the_label()
    {
        var objective = TaskObjective.For(LearningTask.Multiclass, classes: 3);
        using var logits = tensor(new[] { 1f, 2f, 0f, 0.5f, 0.5f, 3f, 4f, 0f, 1f }, [3, 3]);
        using var labels = tensor(new[] { 1L, 0L, 0L });
        Assert.Equal(2, objective.MetricSum(logits, labels)); // Predicted 1, 2, 0.
    }

    [Fact]
    public void Regression_loss_is_the_mean_squared_error_and_its_metric_the_absolute_errors()
    {
        var objective = TaskObjective.For(LearningTask.Regression);
        using var outputs = tensor(new[] { 1.5f, 2f, -1f });
        using var targets = tensor(new[] { 1f, 4f, -1f });

        Assert.Equal(1, objective.OutputUnits);
        Assert.Equal((0.25 + 4 + 0) / 3, objective.Loss(outputs, targets).item<float>(), 6);
        Assert.Equal(4.25, objective.Loss(outputs, targets, nn.Reduction.Sum).item<float>(), 6);
        Assert.Equal(2.5, objective.MetricSum(outputs, targets), 6);
    }

    [Fact]
    public void Regression_epochs_report_mae_and_leave_accuracy_empty_and_the_summary_keeps_the_lowest_mae()
    {
        var objective = TaskObjective.For(LearningTask.Regression);
        var epochs = new[]
        {
            objective.Epoch(1, trainLoss: 9, trainPenalty: 0, valLoss: 10, trainMetric: 2.5, valMetric: 3.0, seconds: 1),
            objective.Epoch(2, trainLoss: 4, trainPenalty: 0, valLoss: 8, trainMetric: 1.5, valMetric: 2.2, seconds: 1),
        };

        Assert.All(epochs, e => Assert.True(double.IsNaN(e.TrainAccuracy) && double.IsNaN(e.ValAccuracy)));
        Assert.Equal((2.5, 3.0), (epochs[0].TrainMae, epochs[0].ValMae));
        var summary = TrialSummary.From(TrialStatus.Completed, epochs, 2);
        Assert.Equal(2.2, summary.BestValMae);
        Assert.True(double.IsNaN(summary.BestValAccuracy));
    }

    [Fact]
    public void Classification_epochs_report_accuracy_and_leave_mae_empty()
    {
        var epoch = TaskObjective.For(LearningTask.Multiclass, 10).Epoch(1, 0.5, 0, 0.6, 0.8, 0.75, 1);
        Assert.Equal((0.8, 0.75), (epoch.TrainAccuracy, epoch.ValAccuracy));
        Assert.True(double.IsNaN(epoch.TrainMae) && double.IsNaN(epoch.ValMae));
    }

    [Fact]
    public void A_multiclass_task_needs_two_classes_or_more()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskObjective.For(LearningTask.Multiclass, classes: 1));
    }
}
