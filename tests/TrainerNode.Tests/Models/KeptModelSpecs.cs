using System.Text.Json;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Models;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Models;

/// <summary>Real trials on real tables keep their best epoch's weights, which load back to the recorded validation figures.</summary>
public sealed class KeptModelSpecs
{
    private static TrialSpec Trial(string table, string target, LearningTask task, int[] hidden, RegularizerSpec regularizer, int epochs,
        string activation = Activations.Relu, bool standardize = true) =>
        new("7f3a9c0e12b4", "tables", "model", "regularizer", "adam", 3, new ModelSpec(hidden, activation), regularizer,
            new OptimizerSpec("adam", 0.01), epochs, 16, InputLayer.Sparse,
            new DatasetSpec(DatasetNames.Csv, 0, Path: TestData.Table(table), Target: target, DeclaredTask: task, Standardize: standardize));

    private static TrainingData Load(TrialSpec trial) => TrainingData.From(CsvDataset.Load(trial.Dataset, trial.Dataset.Path!));

    /// <summary>Trains the trial keeping its best weights, writes them into the run folder, and returns the run.</summary>
    private static TrialRun TrainAndKeep(TrialSpec trial, TrainingData data, string runFolder)
    {
        var run = new TrialTrainer(data, CPU) { KeepsBestWeights = true }.Train(trial);
        run.Kept!.WriteTo(runFolder);
        return run;
    }

    [Fact]
    public void The_layers_are_a_pytorch_sequential_of_linear_layers_with_pytorchs_tensor_names()
    {
        var layout = new SequentialLayout(10, 3, new ModelSpec([4, 5], Activations.Elu), new RegularizerSpec(Dropout: 0.5, BatchNorm: true));

        Assert.Equal(["Linear", "BatchNorm1d", "ELU", "Linear", "BatchNorm1d", "ELU", "Linear"], layout.Layers.Select(l => l.Type));
        Assert.Equal(new Dictionary<string, double> { ["in_features"] = 10, ["out_features"] = 4 }, layout.Layers[0].Args);
        Assert.Equal(new Dictionary<string, double> { ["num_features"] = 5, ["eps"] = 1e-3, ["momentum"] = 0.01 }, layout.Layers[4].Args);
        Assert.Equal(
        [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "3.weight", "3.bias", "4.weight", "4.bias", "4.running_mean", "4.running_var", "4.num_batches_tracked",
            "6.weight", "6.bias",
        ], layout.TensorNames);

        using var generator = new Generator(1);
        using var network = new DenseNetwork(10, 3, new ModelSpec([4, 5], Activations.Elu), new RegularizerSpec(Dropout: 0.5, BatchNorm: true), generator);
        using var scope = NewDisposeScope();
        var shapes = layout.Tensors(network).ToDictionary(t => t.Name, t => t.Tensor.shape);
        // nn.Linear's weight is [out_features, in_features]: the first kernel is stored transposed.
        Assert.Equal([4L, 10L], shapes["0.weight"]);
        Assert.Equal([5L, 4L], shapes["3.weight"]);
        Assert.Equal([3L, 5L], shapes["6.weight"]);
        Assert.Equal([], shapes["4.num_batches_tracked"]);
    }

    [Fact]
    public void A_multiclass_trials_best_epoch_loads_back_to_its_recorded_validation_loss_and_accuracy()
    {
        using var run = new TempDirectory();
        var trial = Trial("iris.csv", "species", LearningTask.Multiclass, [16, 8], new RegularizerSpec(L2: 0.001, Dropout: 0.2, BatchNorm: true), epochs: 12);
        var data = Load(trial);

        var result = TrainAndKeep(trial, data, run.Path);

        using var model = KeptModel.Load(run.Path, trial.Id);
        var best = result.Epochs.Single(e => e.Epoch == result.Summary.BestEpoch);
        Assert.Equal(best, model.Description.Metrics);
        Assert.Equal(best.Epoch, model.Description.Epoch);
        var (loss, accuracy) = new TrialTrainer(data, CPU).Validate(model.Network, trial.InputLayer);
        Assert.Equal(best.ValLoss, loss);
        Assert.Equal(best.ValAccuracy, accuracy);
    }

    [Fact]
    public void The_description_records_the_trial_layers_output_and_the_tables_feature_order_means_and_stds()
    {
        using var run = new TempDirectory();
        var trial = Trial("iris.csv", "species", LearningTask.Multiclass, [8], RegularizerSpec.None, epochs: 3, Activations.Tanh);
        var data = Load(trial);

        TrainAndKeep(trial, data, run.Path);

        var description = KeptModel.ReadDescription(KeptModelFiles.DescriptionPath(run.Path, trial.Id));
        Assert.Equal(trial, description.Trial);
        Assert.Equal(["Linear", "Tanh", "Linear"], description.Network.Layers.Select(l => l.Type));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], description.Network.Tensors.Select(t => t.Name));
        Assert.Equal([8L, 4L], description.Network.Tensors[0].Shape);
        Assert.Equal(["setosa", "versicolor", "virginica"], description.Output.Classes);
        Assert.Equal(3, description.Output.Units);
        var input = Assert.IsType<TableFeatures>(description.Input);
        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width"], input.FeatureColumns);
        Assert.Equal(4, input.Means!.Count);
        Assert.InRange(input.Means[0], 5.5, 6.2); // sepal length in cm
        Assert.All(input.Stds!, std => Assert.True(std > 0));

        // The JSON a Python user reads: snake_case, the Sequential's layers ready for getattr(torch.nn, type)(**args).
        using var json = JsonDocument.Parse(File.ReadAllBytes(KeptModelFiles.DescriptionPath(run.Path, trial.Id)));
        var root = json.RootElement;
        Assert.Equal(trial.Id, root.GetProperty("trial_id").GetString());
        Assert.Equal(4, root.GetProperty("network").GetProperty("layers")[0].GetProperty("args").GetProperty("in_features").GetInt32());
        Assert.Equal("table_features", root.GetProperty("input").GetProperty("kind").GetString());
        Assert.Equal(trial.Id + ".safetensors", root.GetProperty("weights").GetString());
    }

    [Fact]
    public void A_regression_on_raw_features_loads_back_to_its_recorded_loss_and_mean_absolute_error()
    {
        using var run = new TempDirectory();
        var trial = Trial("diabetes.csv", "progression", LearningTask.Regression, [32], new RegularizerSpec(Dropout: 0.1), epochs: 8,
            Activations.Gelu, standardize: false);
        var data = Load(trial);

        var result = TrainAndKeep(trial, data, run.Path);

        using var model = KeptModel.Load(run.Path, trial.Id);
        var best = result.Epochs.Single(e => e.Epoch == result.Summary.BestEpoch);
        var (loss, mae) = new TrialTrainer(data, CPU).Validate(model.Network, trial.InputLayer);
        Assert.Equal(best.ValLoss, loss);
        Assert.Equal(best.ValMae, mae);
        var input = Assert.IsType<TableFeatures>(model.Description.Input);
        Assert.False(input.Standardized);
        Assert.Empty(model.Description.Output.Classes);
    }

    [Fact]
    public void Only_an_epoch_that_lowers_the_validation_loss_replaces_the_kept_weights()
    {
        var trial = Trial("iris.csv", "species", LearningTask.Multiclass, [4], RegularizerSpec.None, epochs: 1);
        var data = Load(trial);
        using var generator = new Generator(1);
        using var network = new DenseNetwork(data.Inputs, 3, trial.ModelConfig, trial.RegularizerConfig, generator);
        var best = new BestWeights(trial, data);
        EpochMetrics Epoch(int epoch, double valLoss) => new(epoch, 1.0, 0, valLoss, 0.5, 0.5, 1);

        Assert.False(best.Offer(Epoch(1, double.NaN), network));
        Assert.True(best.Offer(Epoch(2, 0.9), network));
        Assert.False(best.Offer(Epoch(3, 0.95), network));
        Assert.False(best.Offer(Epoch(4, 0.9), network)); // a tie keeps the first, as best_epoch does
        Assert.True(best.Offer(Epoch(5, 0.4), network));

        Assert.Equal(5, best.Epoch!.Epoch);
        using var weights = SafeTensorsFile.Read(best.Files!.Weights);
        Assert.Equal("5", weights.Metadata["epoch"]);
    }

    [Fact]
    public void Weights_that_do_not_fit_the_described_network_are_refused_naming_the_tensor()
    {
        using var run = new TempDirectory();
        var trial = Trial("iris.csv", "species", LearningTask.Multiclass, [8], RegularizerSpec.None, epochs: 1);
        TrainAndKeep(trial, Load(trial), run.Path);
        using (var wrong = zeros(8, 5))
        using (var bias = zeros(8))
        using (var output = zeros(3, 8))
        using (var outputBias = zeros(3))
            SafeTensorsFile.Write(KeptModelFiles.WeightsPath(run.Path, trial.Id), [("0.weight", wrong), ("0.bias", bias), ("2.weight", output), ("2.bias", outputBias)]);

        var error = Assert.Throws<InvalidDataException>(() => KeptModel.Load(run.Path, trial.Id));

        Assert.Contains("tensor '0.weight' is [8, 5]", error.Message);
        Assert.Contains(KeptModelFiles.WeightsPath(run.Path, trial.Id), error.Message);
    }
}
