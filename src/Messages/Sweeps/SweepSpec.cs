namespace GridSweep.Messages.Sweeps;

/// <summary>A declared sweep, as read from a YAML sweep file: what to train, and the grid to train it over.</summary>
public sealed record SweepSpec(
    string Name,
    DatasetSpec Dataset,
    TrainingSpec Training,
    IReadOnlyList<GridEntry<ModelSpec>> Models,
    IReadOnlyList<GridEntry<RegularizerSpec>> Regularizers,
    IReadOnlyList<GridEntry<OptimizerSpec>> Optimizers,
    string SourceFile);

/// <summary>One named value on a grid axis, e.g. <c>baseline: {hidden: [16, 16]}</c>.</summary>
public sealed record GridEntry<T>(string Name, T Value);

/// <param name="Name">Only <c>imdb</c> today.</param>
/// <param name="NumWords">Vocabulary size: words ranked at or beyond it become out-of-vocabulary.</param>
/// <param name="WordIndex">Optional Keras <c>imdb_word_index.json</c>; without it words are ranked by train-split frequency.</param>
public sealed record DatasetSpec(string Name, int NumWords, string? WordIndex = null);

public enum InputLayer { Sparse, Dense }

public sealed record TrainingSpec(
    int Epochs,
    int BatchSize,
    OptimizerSpec Optimizer,
    InputLayer InputLayer,
    IReadOnlyList<long> Seeds,
    string Device = "auto");

/// <summary>Dense hidden layers with relu activations and one sigmoid output unit.</summary>
public sealed record ModelSpec(IReadOnlyList<int> Hidden);

/// <summary>Keras semantics: L1/L2 penalties on the hidden kernels are added to the loss; dropout after each hidden layer.</summary>
public sealed record RegularizerSpec(double L1 = 0, double L2 = 0, double Dropout = 0, bool BatchNorm = false)
{
    public static readonly RegularizerSpec None = new();
}

/// <param name="Name"><c>adam</c>, <c>sgd</c> or <c>rmsprop</c>, with Keras defaults.</param>
public sealed record OptimizerSpec(
    string Name,
    double LearningRate,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-7,
    double Momentum = 0.0,
    double Rho = 0.9);

/// <summary>One grid cell with one seed, fully resolved: everything a trainer needs to train it.</summary>
/// <param name="Id">Stable id derived from the resolved configuration: the same configuration always gets the same id.</param>
public sealed record TrialSpec(
    string Id,
    string Sweep,
    string Model,
    string Regularizer,
    string Optimizer,
    long Seed,
    ModelSpec ModelConfig,
    RegularizerSpec RegularizerConfig,
    OptimizerSpec OptimizerConfig,
    int Epochs,
    int BatchSize,
    InputLayer InputLayer,
    DatasetSpec Dataset);
