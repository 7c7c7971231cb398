using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// A dataset ready to train on: the train and validation splits, what they teach (the task and its objective),
/// and how they were made. A node prepares it once per dataset and shares it between its slots.
/// </summary>
public sealed class TrainingData
{
    /// <param name="classNames">Classification: the label each class index stands for, in index order (the recorded mapping).</param>
    /// <param name="identity">The files the splits were read from, hashed as they were read (recorded by the coordinator's run folder).</param>
    /// <param name="preparation">How a raw example became a row (recorded beside kept models); null when unknown, as for made-up data.</param>
    public TrainingData(ITrainingSplit train, ITrainingSplit validation, LearningTask task, string description, DataIdentity identity,
        IReadOnlyList<string>? classNames = null, InputPreparation? preparation = null)
    {
        if (train.Width != validation.Width)
            throw new ArgumentException($"train width {train.Width} differs from validation width {validation.Width}");
        Train = train;
        Validation = validation;
        ClassNames = classNames ?? (task == LearningTask.Regression ? [] : ["0", "1"]);
        Objective = TaskObjective.For(task, ClassNames.Count);
        Description = description;
        Identity = identity;
        Preparation = preparation;
    }

    public ITrainingSplit Train { get; }
    public ITrainingSplit Validation { get; }

    /// <summary>Inputs per row: the width of the network's first layer.</summary>
    public int Inputs => Train.Width;

    public LearningTask Task => Objective.Task;
    public TaskObjective Objective { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public string Description { get; }

    /// <summary>The files the data came from, each with its SHA-256: the same identity means the same bytes were trained on.</summary>
    public DataIdentity Identity { get; }

    /// <summary>How a raw review, image or table row becomes an input row: the vocabulary, the scaling, the feature order.</summary>
    public InputPreparation? Preparation { get; }

    /// <summary>IMDB reviews as multi-hot rows: binary, negative 0 and positive 1.</summary>
    public static TrainingData From(ReviewDataset dataset) => new(
        MultiHotReviews.From(dataset.Train, dataset.NumWords),
        MultiHotReviews.From(dataset.Test, dataset.NumWords),
        LearningTask.Binary,
        dataset.Description,
        dataset.Identity,
        ["negative", "positive"],
        dataset.Preparation);

    /// <summary>Images or a table as dense feature rows; multiclass targets become class indices.</summary>
    public static TrainingData From(DenseDataset dataset)
    {
        var classIndices = dataset.Task == LearningTask.Multiclass;
        return new TrainingData(
            new FeatureRows(dataset.Train.Features, dataset.Train.Width, dataset.Train.Targets, classIndices),
            new FeatureRows(dataset.Validation.Features, dataset.Validation.Width, dataset.Validation.Targets, classIndices),
            dataset.Task,
            dataset.Description,
            dataset.Identity,
            dataset.ClassNames,
            dataset.Preparation);
    }
}
