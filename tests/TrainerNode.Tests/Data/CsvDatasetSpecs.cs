using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;

namespace GridSweep.TrainerNode.Tests.Data;

/// <summary>Real tables of each task read as the sweep file declares them, and bad tables refused with file, line, column and value.</summary>
public sealed class CsvDatasetSpecs : IDisposable
{
    private readonly TempDirectory temp = new("gridsweep-csv");

    public void Dispose() => temp.Dispose();

    private static DatasetSpec Csv(string path, string target, LearningTask task, double validation = 0.2, string? validationPath = null,
        long seed = 113, bool standardize = true) =>
        new(DatasetNames.Csv, 0, Path: path, Target: target, DeclaredTask: task, ValidationFraction: validation,
            ValidationPath: validationPath, SplitSeed: seed, Standardize: standardize);

    private static DenseDataset Load(DatasetSpec spec) => CsvDataset.Load(spec, spec.Path!);

    private string Write(string name, string content)
    {
        var path = temp.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Boston_housing_splits_404_and_102_rows_as_the_tutorial_with_standardized_features_and_raw_prices()
    {
        var data = Load(Csv(TestData.BostonHousing, "MEDV", LearningTask.Regression));

        Assert.Equal(LearningTask.Regression, data.Task);
        Assert.Equal((404, 102), (data.Train.Count, data.Validation.Count));
        Assert.Equal(13, data.Train.Width);
        Assert.Empty(data.ClassNames);
        for (var c = 0; c < 13; c++)
        {
            var column = Enumerable.Range(0, 404).Select(r => (double)data.Train.Features[r * 13 + c]).ToArray();
            var mean = column.Average();
            Assert.InRange(mean, -1e-5, 1e-5);
            Assert.InRange(Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average()), 1 - 1e-4, 1 + 1e-4);
        }
        Assert.InRange(data.Train.Targets.Concat(data.Validation.Targets).Min(), 5f, 5f);
        Assert.InRange(data.Train.Targets.Concat(data.Validation.Targets).Max(), 50f, 50f);
        Assert.Contains("404 train / 102 validation rows, 13 features, target MEDV (regression), standardized", data.Description);
    }

    [Fact]
    public void The_split_seed_fixes_the_hold_out_and_another_seed_moves_it()
    {
        var first = Load(Csv(TestData.BostonHousing, "MEDV", LearningTask.Regression));
        var again = Load(Csv(TestData.BostonHousing, "MEDV", LearningTask.Regression));
        var other = Load(Csv(TestData.BostonHousing, "MEDV", LearningTask.Regression, seed: 7));

        Assert.Equal(first.Validation.Targets, again.Validation.Targets);
        Assert.NotEqual(first.Validation.Targets, other.Validation.Targets);
    }

    [Fact]
    public void Without_standardization_the_features_are_the_numbers_in_the_file()
    {
        var data = Load(Csv(TestData.Table("iris.csv"), "species", LearningTask.Multiclass, standardize: false));
        var all = data.Train.Features.Concat(data.Validation.Features).ToArray();
        Assert.Contains(5.1f, all);
        Assert.InRange(all.Min(), 0.1f, 0.1f);
    }

    [Fact]
    public void String_classes_are_mapped_in_sorted_order_and_the_mapping_is_recorded()
    {
        var data = Load(Csv(TestData.Table("iris.csv"), "species", LearningTask.Multiclass));

        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames);
        Assert.Equal((120, 30), (data.Train.Count, data.Validation.Count));
        Assert.Equal([0f, 1f, 2f], data.Train.Targets.Concat(data.Validation.Targets).Distinct().Order());
        Assert.Equal(50, data.Train.Targets.Concat(data.Validation.Targets).Count(t => t == 0f));
        Assert.Contains("(multiclass: 0=setosa, 1=versicolor, 2=virginica)", data.Description);
    }

    [Fact]
    public void Binary_string_classes_map_in_sorted_order()
    {
        var data = Load(Csv(TestData.Table("breast_cancer.csv"), "diagnosis", LearningTask.Binary));
        Assert.Equal(["benign", "malignant"], data.ClassNames);
        Assert.Equal(30, data.Train.Width);
        Assert.Equal(212, data.Train.Targets.Concat(data.Validation.Targets).Count(t => t == 1f)); // 212 malignant of 569.
    }

    [Fact]
    public void Number_classes_are_sorted_numerically_not_as_text()
    {
        var path = Write("numbers.csv", "x,grade\n1,10\n2,9\n3,100\n4,10\n5,9.0\n6,100\n7,9\n8,10\n9,100\n10,9\n");
        var data = Load(Csv(path, "grade", LearningTask.Multiclass));
        Assert.Equal(["9", "10", "100"], data.ClassNames); // 9.0 is the class 9.
        Assert.Equal(4, data.Train.Targets.Concat(data.Validation.Targets).Count(t => t == 0f));
    }

    [Fact]
    public void Wine_has_three_numbered_cultivars_and_diabetes_ten_features()
    {
        var wine = Load(Csv(TestData.Table("wine.csv"), "cultivar", LearningTask.Multiclass));
        var diabetes = Load(Csv(TestData.Table("diabetes.csv"), "progression", LearningTask.Regression));
        Assert.Equal(["0", "1", "2"], wine.ClassNames);
        Assert.Equal(13, wine.Train.Width);
        Assert.Equal((353, 89), (diabetes.Train.Count, diabetes.Validation.Count));
        Assert.Equal(10, diabetes.Train.Width);
    }

    [Fact]
    public void A_second_table_with_the_same_header_is_the_validation_split()
    {
        var lines = File.ReadAllLines(TestData.Table("iris.csv"));
        var train = Write("train.csv", string.Join('\n', lines[..101]));
        var validation = Write("validation.csv", string.Join('\n', [lines[0], .. lines[101..]]));

        var data = Load(Csv(train, "species", LearningTask.Multiclass, validationPath: validation));

        Assert.Equal((100, 50), (data.Train.Count, data.Validation.Count));
        Assert.Equal(["setosa", "versicolor", "virginica"], data.ClassNames); // Virginica appears in the validation table only.
        Assert.All(data.Validation.Targets, t => Assert.Equal(2f, t));
    }

    [Fact]
    public void A_non_numeric_feature_names_file_line_column_and_value()
    {
        var path = Write("bad.csv", "a,b,y\n1,2,0\n3,x7,1\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "y", LearningTask.Binary)));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3, column 'b': feature value 'x7' is not a number", error.Message);
    }

    [Fact]
    public void A_missing_value_names_file_line_and_column()
    {
        var path = Write("gap.csv", "a,b,y\n1,2,0\n3,4,1\n5,,1\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "y", LearningTask.Binary)));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 4, column 'b': the value is missing ('')", error.Message);
    }

    [Fact]
    public void A_missing_target_is_a_missing_value_too()
    {
        var path = Write("no-label.csv", "a,b,y\n1,2,0\n3,4,\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "y", LearningTask.Binary)));
        Assert.Contains("line 3, column 'y': the value is missing", error.Message);
    }

    [Fact]
    public void A_target_column_that_does_not_exist_lists_the_columns()
    {
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(TestData.BostonHousing, "PRICE", LearningTask.Regression)));
        Assert.Contains(TestData.BostonHousing, error.Message);
        Assert.Contains("line 1: the target column 'PRICE' is not in the header; its columns are CRIM, ZN, INDUS", error.Message);
        Assert.Contains("LSTAT, MEDV", error.Message);
    }

    [Fact]
    public void A_target_with_one_class_only_names_the_column_the_rows_and_the_value()
    {
        var path = Write("same.csv", "a,label\n1,yes\n2,yes\n3,yes\n4,yes\n5,yes\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "label", LearningTask.Binary)));
        Assert.Contains(path, error.Message);
        Assert.Contains("column 'label' has one class only: every row (lines 2-6) has the value 'yes'", error.Message);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_values_names_the_line_and_shows_it()
    {
        var path = Write("short.csv", "a,b,y\n1,2,0\n3,4\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "y", LearningTask.Binary)));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3: has 2 values but the header has 3 columns; value: '3,4'", error.Message);
    }

    [Fact]
    public void A_validation_table_with_another_header_names_both_files_and_the_first_differing_column()
    {
        var train = Write("train.csv", "a,b,y\n1,2,0\n3,4,1\n");
        var validation = Write("validation.csv", "a,c,y\n1,2,0\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(train, "y", LearningTask.Binary, validationPath: validation)));
        Assert.Contains(validation, error.Message);
        Assert.Contains($"line 1, column 2: the header has 'c' where the train table {train} has 'b'", error.Message);
    }

    [Fact]
    public void A_regression_target_that_is_not_a_number_names_line_column_and_value()
    {
        var path = Write("text-target.csv", "a,price\n1,10\n2,cheap\n3,30\n4,40\n5,50\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "price", LearningTask.Regression)));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3, column 'price': target value 'cheap' is not a number", error.Message);
    }

    [Fact]
    public void A_binary_target_with_three_classes_says_to_declare_multiclass()
    {
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(TestData.Table("iris.csv"), "species", LearningTask.Binary)));
        Assert.Contains("column 'species' has 3 classes (setosa, versicolor, virginica) but the task is binary; declare task: multiclass", error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = temp.Combine("absent.csv");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "y", LearningTask.Binary)));
        Assert.Contains($"CSV data '{path}': does not exist", error.Message);
    }

    [Fact]
    public void A_spreadsheet_export_with_a_byte_order_mark_crlf_line_ends_and_quotes_reads_like_a_plain_table()
    {
        var plain = Write("plain.csv", "a,b,label\n1.5,2,no\n3,4,yes\n5,6,no\n7,8,yes\n9,10,no\n");
        var exported = temp.Combine("exported.csv");
        File.WriteAllText(exported, "\"a\",\"b\",\"label\"\r\n\"1.5\",2,\"no\"\r\n3,4,yes\r\n5,6,no\r\n7,8,yes\r\n9,10,no\r\n\r\n",
            new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var expected = Load(Csv(plain, "label", LearningTask.Binary));
        var actual = Load(Csv(exported, "label", LearningTask.Binary));

        Assert.Equal(expected.Train.Features, actual.Train.Features);
        Assert.Equal(expected.Validation.Targets, actual.Validation.Targets);
        Assert.Equal(["no", "yes"], actual.ClassNames);
    }

    [Fact]
    public void A_semicolon_separated_table_is_told_to_be_comma_separated()
    {
        var path = Write("semicolons.csv", "a;b;y\n1;2;0\n");
        var error = Assert.Throws<DataSourceException>(() => Load(Csv(path, "y", LearningTask.Binary)));
        Assert.Contains("its columns are a;b;y; the header looks separated by ';', but tables are read comma-separated", error.Message);
    }
}
