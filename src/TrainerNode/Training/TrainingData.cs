using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Training;

/// <summary>The multi-hot train and validation splits a node prepares once and shares between its slots.</summary>
public sealed class TrainingData
{
    public TrainingData(MultiHotReviews train, MultiHotReviews validation, string description)
    {
        if (train.Width != validation.Width)
            throw new ArgumentException($"train width {train.Width} differs from validation width {validation.Width}");
        Train = train;
        Validation = validation;
        Description = description;
    }

    public MultiHotReviews Train { get; }
    public MultiHotReviews Validation { get; }
    public int NumWords => Train.Width;
    public string Description { get; }

    public static TrainingData From(ReviewDataset dataset) => new(
        MultiHotReviews.From(dataset.Train, dataset.NumWords),
        MultiHotReviews.From(dataset.Test, dataset.NumWords),
        dataset.Description);
}
