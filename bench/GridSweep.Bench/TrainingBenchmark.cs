using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GridSweep.Messages.Sweeps;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.Bench;

internal static class TrainingBenchmark
{
    public const string ChildCommand = "training-child";

    private static readonly Dictionary<string, int[]> Models = new()
    {
        ["baseline"] = [16, 16],
        ["smaller"] = [4, 4],
        ["bigger"] = [512, 512],
    };

    private sealed record Measurement(string Model, string Input, double SecondsPerEpoch, double MinSecondsPerEpoch, double PeakMegabytes, double ValLoss);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var rows = new List<Measurement>();
        foreach (var model in options.Models)
        {
            foreach (var input in new[] { "sparse", "dense" })
            {
                Console.Error.WriteLine($"bench: {model} {input} ...");
                rows.Add(await RunChildProcessAsync(options, model, input));
            }
        }

        var lines = new List<string>
        {
            $"Training speed, IMDB {options.Epochs - 1} timed epochs after one warm-up, batch 512, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            "",
            "| model | params | sparse s/epoch | dense s/epoch | dense / sparse | sparse peak MB | dense peak MB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var model in options.Models)
        {
            var sparse = rows.Single(r => r.Model == model && r.Input == "sparse");
            var dense = rows.Single(r => r.Model == model && r.Input == "dense");
            lines.Add($"| {model} ({string.Join('-', Models[model])}) | {Parameters(10000, Models[model], 1):N0} | {sparse.SecondsPerEpoch:F2} | {dense.SecondsPerEpoch:F2} | " +
                $"{dense.SecondsPerEpoch / sparse.SecondsPerEpoch:F1}x | {sparse.PeakMegabytes:F0} | {dense.PeakMegabytes:F0} |");
        }
        await WriteTableAsync(lines, options.Out, "training");
        return 0;
    }

    /// <summary>Weights and biases of a dense net with these layer widths.</summary>
    public static long Parameters(int inputs, int[] hidden, int outputs)
    {
        long total = 0, previous = inputs;
        foreach (var units in hidden.Append(outputs))
        {
            total += previous * units + units;
            previous = units;
        }
        return total;
    }

    /// <summary>Prints a benchmark's markdown table and writes it to <paramref name="path"/>.</summary>
    public static async Task WriteTableAsync(IEnumerable<string> lines, string path, string benchmark)
    {
        var table = string.Join('\n', lines);
        Console.WriteLine(table);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, table + "\n");
        Console.Error.WriteLine($"bench {benchmark}: table written to {path}");
    }

    private static async Task<Measurement> RunChildProcessAsync(Options options, string model, string input)
    {
        var (self, prefix) = Self();
        // No time limit: a child trains for as long as its epochs take.
        var child = await ChildProcess.RunAsync(self,
            [.. prefix, ChildCommand, model, input, options.Epochs.ToString(CultureInfo.InvariantCulture), options.Data, options.WordIndex ?? ""],
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"benchmark child {model} {input} exited with {child.ExitCode}");
        return JsonSerializer.Deserialize<Measurement>(child.Output.Trim().Split('\n')[^1])!;
    }

    /// <summary>How to start this benchmark program again as a child: its executable, and the assembly when that is <c>dotnet</c>.</summary>
    public static (string Executable, string[] Prefix) Self()
    {
        var self = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(self) == "dotnet" ? (self, [typeof(TrainingBenchmark).Assembly.Location]) : (self, []);
    }

    public static async Task<int> RunChildAsync(string[] args)
    {
        var (model, input, epochs, dataPath, wordIndex) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3], args[4]);
        var dataset = await ImdbLoader.LoadAsync(new ImdbLoadOptions(dataPath, 10000, wordIndex.Length == 0 ? null : wordIndex, CacheDirectory.Default()));
        var data = TrainingData.From(dataset);
        var trial = new TrialSpec("bench", "bench", model, "none", "adam", 1,
            new ModelSpec(Models[model]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001),
            epochs, 512, input == "dense" ? InputLayer.Dense : InputLayer.Sparse, new DatasetSpec("imdb", 10000));
        var run = new TrialTrainer(data, torch.CPU).Train(trial);
        var timed = run.Epochs.Skip(1).Select(e => e.Seconds).ToList();
        var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(JsonSerializer.Serialize(new Measurement(model, input, timed.Average(), timed.Min(), peak, run.Epochs[^1].ValLoss)));
        return 0;
    }

    public static string RepoRoot() => Options.RepoRoot();

    private sealed record Options(string Data, string? WordIndex, int Epochs, string[] Models, string Out)
    {
        public static Options Parse(string[] args)
        {
            string? data = null, wordIndex = null, output = null;
            var epochs = 4;
            var models = TrainingBenchmark.Models.Keys.ToArray();
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--data": data = value; break;
                    case "--word-index": wordIndex = value; break;
                    case "--epochs": epochs = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--models": models = value.Split(','); break;
                    case "--out": output = value; break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
                i++;
            }
            if (epochs < 2)
                throw new ArgumentException("--epochs must be at least 2: the first epoch is warm-up");
            var root = RepoRoot();
            data ??= Path.Combine(root, "..", "shared", "data", "imdb", "aclImdb_labeled.tar.gz");
            var besideArchive = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(data))!, "imdb_word_index.json");
            wordIndex ??= File.Exists(besideArchive) ? besideArchive : null;
            return new Options(data, wordIndex, epochs, models, output ?? Path.Combine(root, "bench", "results", "training.md"));
        }

        public static string RepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "GridSweep.slnx")))
                    return dir.FullName;
            return Directory.GetCurrentDirectory();
        }
    }
}
