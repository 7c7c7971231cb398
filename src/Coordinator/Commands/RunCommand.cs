using System.ComponentModel;
using GridSweep.Coordinator.Display;
using GridSweep.Coordinator.Results;
using GridSweep.Coordinator.Sweeps;
using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GridSweep.Coordinator.Commands;

public sealed class RunCommand : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<SPEC>")]
        [Description("Sweep file (YAML), e.g. sweeps/imdb-overfitting.yaml.")]
        public string Spec { get; init; } = "";

        [CommandOption("--data <PATH>")]
        [Description("IMDB data: aclImdb_v1.tar.gz or its extracted folder. Default: download Stanford's archive once into the cache.")]
        public string? Data { get; init; }

        [CommandOption("--word-index <PATH>")]
        [Description("Keras imdb_word_index.json to rank words by. Default: the sweep's dataset.word_index, else train-split frequency.")]
        public string? WordIndex { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Results folder; the sweep writes to <DIR>/<sweep name>/. Default: runs. An existing folder is resumed.")]
        [DefaultValue("runs")]
        public string Out { get; init; } = "runs";

        [CommandOption("--device <DEVICE>")]
        [Description("auto, cpu, cuda or cuda:N. Default: the sweep's training.device (auto).")]
        public string? Device { get; init; }

        [CommandOption("--cache <DIR>")]
        [Description("Download and encoded-data cache. Default: $GRIDSWEEP_CACHE, else $XDG_CACHE_HOME/gridsweep, else ~/.cache/gridsweep.")]
        public string? Cache { get; init; }

        [CommandOption("--plain")]
        [Description("Print one line per epoch instead of the live display (automatic when output is redirected).")]
        public bool Plain { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Everything that can be wrong with the input is checked before anything is written.
        SweepSpec spec;
        IReadOnlyList<TrialSpec> trials;
        TorchSharp.torch.Device device;
        try
        {
            spec = SweepSpecParser.Load(settings.Spec);
            trials = SweepGrid.Expand(spec);
            device = ComputeDevice.Resolve(settings.Device ?? spec.Training.Device);
        }
        catch (SweepSpecException error)
        {
            AnsiConsole.Console.WriteLine(error.Message);
            return ExitCodes.BadInput;
        }
        catch (ArgumentException error)
        {
            AnsiConsole.Console.WriteLine($"--device: {error.Message}");
            return ExitCodes.BadInput;
        }

        var display = SweepDisplay.Create(settings.Plain);
        display.Note($"sweep [bold]{Markup.Escape(spec.Name)}[/]: {trials.Count} trials on {device}");

        ReviewDataset dataset;
        try
        {
            var options = new ImdbLoadOptions(
                settings.Data,
                spec.Dataset.NumWords,
                settings.WordIndex ?? spec.Dataset.WordIndex,
                settings.Cache ?? CacheDirectory.Default());
            dataset = await display.LoadDataAsync(progress => ImdbLoader.LoadAsync(options, progress, cancellationToken));
        }
        catch (DataSourceException error)
        {
            AnsiConsole.Console.WriteLine($"--data: {error.Message}");
            return ExitCodes.BadInput;
        }

        var folder = Path.Combine(settings.Out, spec.Name);
        using var results = RunFolder.Open(folder);
        var data = TrainingData.From(dataset);
        display.Note($"data: {Markup.Escape(dataset.Description)}");
        var runner = new LocalSweepRunner(data, device, results);
        var outcome = display.Track(observer => runner.Run(trials, observer, cancellationToken));
        display.Summary(outcome, folder);
        if (cancellationToken.IsCancellationRequested)
            return ExitCodes.Cancelled;
        return outcome.Failed > 0 ? ExitCodes.TrialsFailed : ExitCodes.Success;
    }
}
