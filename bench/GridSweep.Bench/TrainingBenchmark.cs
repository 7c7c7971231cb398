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

    /// <summary>The study's regularizer axis (sweeps/imdb-overfitting.yaml).</summary>
    private static readonly Dictionary<string, RegularizerSpec> Regularizers = new()
    {
        ["none"] = RegularizerSpec.None,
        ["l2"] = new RegularizerSpec(L2: 0.001),
        ["dropout"] = new RegularizerSpec(Dropout: 0.6),
    };

    private sealed record Measurement(string Model, string Input, double SecondsPerEpoch, double MinSecondsPerEpoch, double PeakMegabytes, double ValLoss);

    private sealed record PyTorchRun(string Torch, double[] Seconds, double ValLoss, double ValAccuracy);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var rows = new List<(string Model, string Regularizer, string Program, Measurement Result)>();
        var python = options.Python;
        using var exported = new TempDirectory("gridsweep-bench-imdb-rows");
        var shape = await ExportRowsAsync(options, exported.Path);
        var torchVersion = "";
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var model in options.Models)
            {
                foreach (var regularizer in options.Regularizers)
                {
                    // The two programs alternate which goes first, so a slow spell of the machine does not favour one.
                    var programs = round % 2 == 0 ? new[] { "gridsweep", "pytorch" } : ["pytorch", "gridsweep"];
                    if (python is null)
                        programs = ["gridsweep"];
                    foreach (var program in programs)
                    {
                        Console.Error.WriteLine($"bench: round {round + 1} {model} {regularizer} {program} ...");
                        if (program == "gridsweep")
                        {
                            rows.Add((model, regularizer, program, await RunChildProcessAsync(options, model, regularizer, "sparse")));
                        }
                        else
                        {
                            var run = await RunPyTorchAsync(options, python!, exported.Path, model, regularizer);
                            torchVersion = run.Torch;
                            var timed = run.Seconds.Skip(1).ToArray();
                            rows.Add((model, regularizer, program, new Measurement(model, "sparse", timed.Average(), timed.Min(), 0, run.ValLoss)));
                        }
                    }
                    if (options.Dense && regularizer == "none")
                        rows.Add((model, regularizer, "dense", await RunChildProcessAsync(options, model, regularizer, "dense")));
                }
            }
        }

        var rates = await MeasureFloorRatesAsync(options, shape, exported.Path);
        var peer = python is null ? "no PyTorch (give --python)" : $"PyTorch {torchVersion}";
        var lines = new List<string>
        {
            $"Training speed, IMDB (10,000 words, {shape.TrainRows:N0} train / {shape.ValRows:N0} validation reviews), {options.Epochs - 1} timed epochs after one warm-up, " +
                $"{options.Rounds} round(s), batch 512, {options.Threads} thread(s) each, {Environment.ProcessorCount} cores, TorchSharp {typeof(torch).Assembly.GetName().Version} against {peer}, " +
                System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            "",
            "| model | regularizer | params | GridSweep s/epoch | PyTorch s/epoch | PyTorch / GridSweep | floor s/epoch | GridSweep / floor | GridSweep val loss | PyTorch val loss |" +
                (options.Dense ? " dense s/epoch | dense / sparse | sparse peak MB | dense peak MB |" : ""),
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + (options.Dense ? "---:|---:|---:|---:|" : ""),
        };
        foreach (var model in options.Models)
        {
            foreach (var regularizer in options.Regularizers)
            {
                Measurement? Mean(string program)
                {
                    var runs = rows.Where(r => r.Model == model && r.Regularizer == regularizer && r.Program == program).Select(r => r.Result).ToList();
                    return runs.Count == 0 ? null
                        : runs[0] with { SecondsPerEpoch = runs.Average(r => r.SecondsPerEpoch), MinSecondsPerEpoch = runs.Min(r => r.MinSecondsPerEpoch), PeakMegabytes = runs.Max(r => r.PeakMegabytes) };
                }
                var ours = Mean("gridsweep")!;
                var theirs = Mean("pytorch");
                var dense = Mean("dense");
                var floor = rates.Floor(shape, Models[model]);
                var line = $"| {model} ({string.Join('-', Models[model])}) | {regularizer} | {Parameters(shape.Words, Models[model], 1):N0} | {ours.SecondsPerEpoch:F3} | " +
                    (theirs is null ? "- | - |" : $"{theirs.SecondsPerEpoch:F3} | {theirs.SecondsPerEpoch / ours.SecondsPerEpoch:F2}x |") +
                    $" {floor:F3} | {ours.SecondsPerEpoch / floor:F2}x | {ours.ValLoss:F4} | " + (theirs is null ? "- |" : $"{theirs.ValLoss:F4} |");
                if (options.Dense)
                    line += dense is null ? " - | - | - | - |"
                        : $" {dense.SecondsPerEpoch:F2} | {dense.SecondsPerEpoch / ours.SecondsPerEpoch:F1}x | {ours.PeakMegabytes:F0} | {dense.PeakMegabytes:F0} |";
                lines.Add(line);
            }
        }
        lines.Add("");
        lines.Add($"Floor: the epoch's matrix multiplies at {rates.GemmGflops:F1} GFLOP/s (LibTorch's sgemm, 512 x 512 x 512), its first-layer row traffic " +
            $"(forward and backward of the training pass, forward of validation) at {rates.RowGigabytes:F1} GB/s (summing a kernel's rows for the split's reviews), " +
            $"its Adam state traffic (7 floats per parameter per step) at {rates.StreamGigabytes:F1} GB/s (a streaming pass over arrays of that size), measured here with {options.Threads} thread(s). " +
            $"For the 512-512 net: {rates.Parts(shape, Models["bigger"])}.");
        await WriteTableAsync(lines, options.Out, "training");
        return 0;
    }

    /// <summary>What the floor is computed from: the splits' sizes and their multi-hot entries.</summary>
    private sealed record RowsShape(int Words, int TrainRows, int ValRows, long TrainEntries, long ValEntries);

    /// <summary>The machine's rates for the three kinds of work an epoch does, measured with the benchmark's threads.</summary>
    private sealed record FloorRates(double GemmGflops, double RowGigabytes, double StreamGigabytes)
    {
        private (double Gemm, double Rows, double Adam) Seconds(RowsShape shape, int[] hidden)
        {
            long dense = 0;
            for (var i = 1; i <= hidden.Length; i++)
                dense += (long)hidden[i - 1] * (i < hidden.Length ? hidden[i] : 1);
            var steps = (shape.TrainRows + 511) / 512;
            // Training: forward, and backward's two products (inputs' and weights' gradients); validation: forward.
            var flops = 2.0 * dense * (3.0 * shape.TrainRows + shape.ValRows);
            var rowBytes = 4.0 * hidden[0] * (2.0 * shape.TrainEntries + shape.ValEntries);
            var adamBytes = 7.0 * 4 * Parameters(shape.Words, hidden, 1) * steps;
            return (flops / (GemmGflops * 1e9), rowBytes / (RowGigabytes * 1e9), adamBytes / (StreamGigabytes * 1e9));
        }

        public double Floor(RowsShape shape, int[] hidden)
        {
            var (gemm, rows, adam) = Seconds(shape, hidden);
            return gemm + rows + adam;
        }

        public string Parts(RowsShape shape, int[] hidden)
        {
            var (gemm, rows, adam) = Seconds(shape, hidden);
            return $"{gemm:F3} s of matrix multiplies + {rows:F3} s of row traffic + {adam:F3} s of Adam = {gemm + rows + adam:F3} s";
        }
    }

    /// <summary>The multi-hot rows GridSweep trains on, as raw little-endian arrays for the PyTorch reference.</summary>
    private static async Task<RowsShape> ExportRowsAsync(Options options, string folder)
    {
        var dataset = await ImdbLoader.LoadAsync(new ImdbLoadOptions(options.Data, 10000, options.WordIndex, CacheDirectory.Default()));
        var data = TrainingData.From(dataset);
        foreach (var (name, split) in new[] { ("train", (MultiHotReviews)data.Train), ("test", (MultiHotReviews)data.Validation) })
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, $"{name}_offsets.bin"), AsBytes(split.Offsets.Select(o => (long)o).ToArray()));
            await File.WriteAllBytesAsync(Path.Combine(folder, $"{name}_columns.bin"), AsBytes(split.Columns));
            await File.WriteAllBytesAsync(Path.Combine(folder, $"{name}_labels.bin"), AsBytes(split.Labels));
        }
        await File.WriteAllTextAsync(Path.Combine(folder, "words.txt"), data.Inputs.ToString(CultureInfo.InvariantCulture));
        var (train, validation) = ((MultiHotReviews)data.Train, (MultiHotReviews)data.Validation);
        return new RowsShape(data.Inputs, train.Count, validation.Count, train.Columns.Length, validation.Columns.Length);
    }

    private static byte[] AsBytes<T>(T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static async Task<PyTorchRun> RunPyTorchAsync(Options options, string python, string folder, string model, string regularizer)
    {
        var spec = Regularizers[regularizer];
        var script = Path.Combine(RepoRoot(), "bench", "pytorch", "imdb.py");
        var child = await ChildProcess.RunAsync(python,
            [script, "--data", folder, "--hidden", string.Join(',', Models[model]), "--l2", spec.L2.ToString(CultureInfo.InvariantCulture),
                "--dropout", spec.Dropout.ToString(CultureInfo.InvariantCulture), "--epochs", options.Epochs.ToString(CultureInfo.InvariantCulture),
                "--threads", options.Threads.ToString(CultureInfo.InvariantCulture)],
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"PyTorch reference {model} {regularizer} exited with {child.ExitCode}");
        return JsonSerializer.Deserialize<PyTorchRun>(child.Output.Trim().Split('\n')[^1], new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
    }

    public const string FloorCommand = "training-floor";

    private static async Task<FloorRates> MeasureFloorRatesAsync(Options options, RowsShape shape, string folder)
    {
        var (self, prefix) = Self();
        var child = await ChildProcess.RunAsync(self,
            [.. prefix, FloorCommand, folder, options.Threads.ToString(CultureInfo.InvariantCulture), Parameters(shape.Words, Models["bigger"], 1).ToString(CultureInfo.InvariantCulture)],
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"floor child exited with {child.ExitCode}");
        return JsonSerializer.Deserialize<FloorRates>(child.Output.Trim().Split('\n')[^1])!;
    }

    /// <summary>
    /// The machine's rates, each the best of a few tries: sgemm; summing 512-float kernel rows over the training split's
    /// reviews (the first layer's forward, what its backward and the validation forward also stream); a streaming pass.
    /// </summary>
    public static int RunFloorChild(string[] args)
    {
        var (folder, threads, parameters) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), long.Parse(args[2], CultureInfo.InvariantCulture));
        torch.set_num_threads(threads);
        const int Units = 512;

        double gemm = 0;
        using (var a = torch.rand(512, Units))
        using (var b = torch.rand(Units, Units))
        {
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 50; i++)
                    torch.mm(a, b).Dispose();
                gemm = Math.Max(gemm, 50 * 2.0 * 512 * Units * Units / clock.Elapsed.TotalSeconds / 1e9);
            }
        }

        var offsets = ReadLongs(Path.Combine(folder, "train_offsets.bin"));
        var columns = ReadLongs(Path.Combine(folder, "train_columns.bin"));
        var words = int.Parse(File.ReadAllText(Path.Combine(folder, "words.txt")), CultureInfo.InvariantCulture);
        var kernel = new float[words * Units];
        new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(kernel.AsSpan()));
        for (var i = 0; i < kernel.Length; i++)
            kernel[i] = (kernel[i] is var k && float.IsFinite(k)) ? k % 1f : 0f;
        var reviews = offsets.Length - 1;
        var output = new float[reviews * Units];
        double rows = 0;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            {
                for (var r = part; r < reviews; r += threads)
                {
                    var sum = output.AsSpan(r * Units, Units);
                    sum.Clear();
                    for (var k = offsets[r]; k < offsets[r + 1]; k++)
                        AddTo(sum, kernel.AsSpan((int)columns[k] * Units, Units));
                }
            });
            rows = Math.Max(rows, 4.0 * Units * columns.Length / clock.Elapsed.TotalSeconds / 1e9);
        }

        // Adam reads parameter, gradient and both moments and writes three of them: a pass that reads two arrays and writes one, per byte moved.
        var x = new float[parameters];
        var y = new float[parameters];
        var z = new float[parameters];
        double stream = 0;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var clock = Stopwatch.StartNew();
            var chunk = (int)((parameters + threads - 1) / threads);
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            {
                var start = part * chunk;
                var count = (int)Math.Min(chunk, parameters - start);
                var vx = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(x.AsSpan(start, count));
                var vy = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(y.AsSpan(start, count));
                var vz = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(z.AsSpan(start, count));
                var scale = new System.Numerics.Vector<float>(0.999f);
                for (var i = 0; i < vx.Length; i++)
                    vz[i] = vx[i] * scale + vy[i];
            });
            stream = Math.Max(stream, 3.0 * 4 * parameters / clock.Elapsed.TotalSeconds / 1e9);
        }
        Console.WriteLine(JsonSerializer.Serialize(new FloorRates(gemm, rows, stream)));
        return 0;
    }

    private static long[] ReadLongs(string path) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(path)).ToArray();

    private static void AddTo(Span<float> target, ReadOnlySpan<float> source)
    {
        var t = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(target);
        var s = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(source);
        for (var i = 0; i < t.Length; i++)
            t[i] += s[i];
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

    private static async Task<Measurement> RunChildProcessAsync(Options options, string model, string regularizer, string input)
    {
        var (self, prefix) = Self();
        // No time limit: a child trains for as long as its epochs take.
        var child = await ChildProcess.RunAsync(self,
            [.. prefix, ChildCommand, model, input, options.Epochs.ToString(CultureInfo.InvariantCulture), options.Data, options.WordIndex ?? "",
                regularizer, options.Threads.ToString(CultureInfo.InvariantCulture)],
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
        var (regularizer, threads) = (args[5], int.Parse(args[6], CultureInfo.InvariantCulture));
        torch.set_num_threads(threads); // This thread trains: LibTorch keeps the setting per thread, the fused kernels follow it.
        var dataset = await ImdbLoader.LoadAsync(new ImdbLoadOptions(dataPath, 10000, wordIndex.Length == 0 ? null : wordIndex, CacheDirectory.Default()));
        var data = TrainingData.From(dataset);
        var trial = new TrialSpec("bench", "bench", model, regularizer, "adam", 1,
            new ModelSpec(Models[model]), Regularizers[regularizer], new OptimizerSpec("adam", 0.001),
            epochs, 512, input == "dense" ? InputLayer.Dense : InputLayer.Sparse, new DatasetSpec("imdb", 10000));
        var run = new TrialTrainer(data, torch.CPU).Train(trial);
        var timed = run.Epochs.Skip(1).Select(e => e.Seconds).ToList();
        var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(JsonSerializer.Serialize(new Measurement(model, input, timed.Average(), timed.Min(), peak, run.Epochs[^1].ValLoss)));
        return 0;
    }

    public static string RepoRoot() => Options.RepoRoot();

    private sealed record Options(string Data, string? WordIndex, int Epochs, string[] Models, string[] Regularizers, int Rounds, int Threads,
        bool Dense, string? Python, string Out)
    {
        public static Options Parse(string[] args)
        {
            string? data = null, wordIndex = null, output = null, python = "/usr/bin/python3";
            int epochs = 4, rounds = 1, threads = 1;
            var dense = false;
            var models = TrainingBenchmark.Models.Keys.ToArray();
            var regularizers = TrainingBenchmark.Regularizers.Keys.ToArray();
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--dense")
                {
                    dense = true;
                    continue;
                }
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--regularizers": regularizers = value.Split(','); break;
                    case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--python": python = value == "none" ? null : value; break;
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
            if (python is not null && !File.Exists(python))
                throw new ArgumentException($"--python: {python} does not exist; install python3-torch (scripts/bench.sh training does) or give --python none");
            return new Options(data, wordIndex, epochs, models, regularizers, rounds, threads, dense, python,
                output ?? Path.Combine(root, "bench", "results", "training.md"));
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
