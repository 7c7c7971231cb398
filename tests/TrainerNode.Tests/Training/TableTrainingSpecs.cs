using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>Real tables of each task and Fashion-MNIST train end to end to sane metrics, through the trainer the nodes use.</summary>
public sealed class TableTrainingSpecs(ITestOutputHelper output)
{
    private static DatasetSpec Csv(string path, string target, LearningTask task) =>
        new(DatasetNames.Csv, 0, Path: path, Target: target, DeclaredTask: task);

    private static TrialSpec Trial(DatasetSpec dataset, int[] hidden, int epochs, int batchSize, double learningRate,
        string activation = Activations.Relu, RegularizerSpec? regularizer = null) =>
        new("table", "tables", "model", "none", "adam", 1, new ModelSpec(hidden, activation), regularizer ?? RegularizerSpec.None,
            new OptimizerSpec("adam", learningRate), epochs, batchSize, InputLayer.Sparse, dataset);

    private TrialRun Train(TrialSpec trial)
    {
        var data = TrainingData.From(CsvDataset.Load(trial.Dataset, trial.Dataset.Path!));
        var run = new TrialTrainer(data, CPU).Train(trial);
        var last = run.Epochs[^1];
        output.WriteLine($"{data.Description}: best epoch {run.Summary.BestEpoch}, best val loss {run.Summary.BestValLoss:F4}, " +
                         $"best val accuracy {run.Summary.BestValAccuracy:F4}, best val MAE {run.Summary.BestValMae:F4}; " +
                         $"last: train loss {last.TrainLoss:F4}, val loss {last.ValLoss:F4}");
        Assert.Equal(TrialStatus.Completed, run.Summary.Status);
        return run;
    }

    [Theory]
    [InlineData("iris.csv", "species", 0.85)]
    [InlineData("wine.csv", "cultivar", 0.85)]
    public void A_multiclass_table_learns_its_classes(string table, string target, double minimumAccuracy)
    {
        var run = Train(Trial(Csv(TestData.Table(table), target, LearningTask.Multiclass), [16], epochs: 40, batchSize: 16, learningRate: 0.01));
        Assert.True(run.Summary.BestValAccuracy > minimumAccuracy, $"best validation accuracy {run.Summary.BestValAccuracy}");
        Assert.True(double.IsNaN(run.Summary.BestValMae));
    }

    [Fact]
    public void A_binary_table_with_string_classes_learns_them()
    {
        var run = Train(Trial(Csv(TestData.Table("breast_cancer.csv"), "diagnosis", LearningTask.Binary), [16], epochs: 20, batchSize: 32, learningRate: 0.01));
        Assert.True(run.Summary.BestValAccuracy > 0.93, $"best validation accuracy {run.Summary.BestValAccuracy}");
    }

    [Fact]
    public void Boston_housing_regresses_prices_to_a_few_thousand_dollars_of_mean_absolute_error()
    {
        var run = Train(Trial(Csv(TestData.BostonHousing, "MEDV", LearningTask.Regression), [64, 64], epochs: 60, batchSize: 32, learningRate: 0.001));
        Assert.All(run.Epochs, e => Assert.True(double.IsNaN(e.TrainAccuracy) && double.IsNaN(e.ValAccuracy)));
        Assert.All(run.Epochs, e => Assert.True(e.TrainMae > 0 && e.ValMae > 0));
        Assert.True(run.Summary.BestValMae < 4.0, $"best validation MAE {run.Summary.BestValMae} ($1000s)");
        Assert.True(double.IsNaN(run.Summary.BestValAccuracy));
    }

    [Fact]
    public void Diabetes_progression_regresses_below_the_error_of_guessing_the_mean()
    {
        var run = Train(Trial(Csv(TestData.Table("diabetes.csv"), "progression", LearningTask.Regression), [32], epochs: 60, batchSize: 16, learningRate: 0.01));
        // Guessing the mean progression errs by about 64 on average; a linear model by about 44.
        Assert.True(run.Summary.BestValMae < 52, $"best validation MAE {run.Summary.BestValMae}");
    }

    [Theory]
    [InlineData(Activations.Tanh)]
    [InlineData(Activations.Elu)]
    [InlineData(Activations.Gelu)]
    [InlineData(Activations.Sigmoid)]
    public void Every_activation_trains(string activation)
    {
        var run = Train(Trial(Csv(TestData.Table("iris.csv"), "species", LearningTask.Multiclass), [16], epochs: 40, batchSize: 16, learningRate: 0.01, activation));
        Assert.True(run.Summary.BestValAccuracy > 0.8, $"{activation}: best validation accuracy {run.Summary.BestValAccuracy}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_regression_curve()
    {
        var trial = Trial(Csv(TestData.BostonHousing, "MEDV", LearningTask.Regression), [16], epochs: 3, batchSize: 32, learningRate: 0.001,
            regularizer: new RegularizerSpec(L2: 0.001, Dropout: 0.3));
        Assert.Equal(Train(trial).Epochs.Select(e => e with { Seconds = 0 }), Train(trial).Epochs.Select(e => e with { Seconds = 0 }));
    }

    [Fact]
    public async Task Fashion_mnist_reaches_the_tutorials_accuracy_range_in_one_epoch()
    {
        using var cache = new TempDirectory();
        var data = TrainingData.From(await FashionMnist.LoadAsync(TestData.FashionMnistFolder, cache.Path));
        var trial = Trial(new DatasetSpec(DatasetNames.FashionMnist, 0), [128], epochs: 1, batchSize: 128, learningRate: 0.001);

        var run = new TrialTrainer(data, CPU).Train(trial);

        output.WriteLine($"epoch 1: {run.Epochs[0]}");
        Assert.True(run.Epochs[0].ValAccuracy > 0.8, $"validation accuracy {run.Epochs[0].ValAccuracy}");
        Assert.InRange(run.Epochs[0].ValLoss, 0.2, 0.7);
    }

    [Fact]
    public void A_trial_whose_task_differs_from_its_data_is_refused()
    {
        var data = TrainingData.From(CsvDataset.Load(Csv(TestData.Table("iris.csv"), "species", LearningTask.Multiclass), TestData.Table("iris.csv")));
        var trial = Trial(Csv(TestData.Table("iris.csv"), "species", LearningTask.Binary), [4], epochs: 1, batchSize: 16, learningRate: 0.01);
        var error = Assert.Throws<ArgumentException>(() => new TrialTrainer(data, CPU).Train(trial));
        Assert.Contains("Binary task but its data is Multiclass", error.Message);
    }
}
