using System.Text.Json.Serialization;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// How a raw example becomes the network's input row, recorded beside a kept model (<c>models/&lt;trial_id&gt;.json</c>,
/// field <c>input</c>) so that a user outside GridSweep, in Python say, prepares new data exactly as the trainer did.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(MultiHotWords), "multi_hot_words")]
[JsonDerivedType(typeof(ScaledPixels), "scaled_pixels")]
[JsonDerivedType(typeof(TableFeatures), "table_features")]
public abstract record InputPreparation
{
    /// <summary>Inputs per row: the width of the network's first layer.</summary>
    public abstract int Width { get; }

    /// <summary>The preparation in words, step by step, for a reader of the JSON.</summary>
    public abstract IReadOnlyList<string> Steps { get; }
}

/// <summary>
/// IMDB: a review as a multi-hot row over <see cref="NumWords"/> columns, the Keras <c>imdb.load_data</c> encoding
/// followed by the textbook's <c>vectorize_sequences</c>.
/// </summary>
/// <param name="WordIndex">Where the word ranks came from: "keras word index" or "train-frequency word index".</param>
/// <param name="WordColumns">Every word the vocabulary keeps, with its column (its rank + 3); any other word is column 2.</param>
public sealed record MultiHotWords(int NumWords, string WordIndex, IReadOnlyDictionary<string, int> WordColumns) : InputPreparation
{
    public override int Width => NumWords;

    public string LineBreak => "<br />";

    /// <summary>Keras' default filters, each replaced by a space.</summary>
    public string Filters => KerasTokenizer.Filters;

    public int StartColumn => Data.WordIndex.Start;

    public int OutOfVocabularyColumn => Data.WordIndex.OutOfVocabulary;

    public override IReadOnlyList<string> Steps =>
    [
        "decode the review file as UTF-8",
        "replace each '<br />' (in any letter case) with a space",
        "replace each character of 'filters' with a space",
        "lower-case each character on its own (simple case mapping: U+0130 stays as it is)",
        "split on ' ' (spaces only) and drop empty words",
        $"the review's columns: {StartColumn} (the start mark), then word_columns[word] for each word, {OutOfVocabularyColumn} for a word not in word_columns",
        $"the row: {NumWords} float32 values, 1.0 in each of the review's columns and 0.0 elsewhere",
    ];
}

/// <summary>Fashion-MNIST: an image's bytes, row-major, each divided by 255.</summary>
public sealed record ScaledPixels(int Rows, int Columns) : InputPreparation
{
    public override int Width => Rows * Columns;

    public double Divisor => 255;

    public override IReadOnlyList<string> Steps =>
    [
        $"the {Rows}x{Columns} grayscale image's bytes (0-255) in row-major order, flattened to {Width} values",
        "each value as float32 divided by 255",
    ];
}

/// <summary>A CSV table: its feature columns in order, standardized by the train split's statistics when the sweep asked.</summary>
/// <param name="Means">Per feature, the train split's mean; null when not standardized.</param>
/// <param name="Stds">Per feature, the train split's population standard deviation (1 for a constant feature); null when not standardized.</param>
public sealed record TableFeatures(
    IReadOnlyList<string> FeatureColumns,
    string Target,
    IReadOnlyList<double>? Means,
    IReadOnlyList<double>? Stds) : InputPreparation
{
    public override int Width => FeatureColumns.Count;

    public bool Standardized => Means is not null;

    public override IReadOnlyList<string> Steps => Standardized
        ?
        [
            "the row's values of feature_columns, in that order, as numbers (the target column left out)",
            "each value minus its feature's mean, divided by its feature's std (computed in float64, then float32)",
        ]
        : ["the row's values of feature_columns, in that order, as float32 numbers (the target column left out)"];
}
