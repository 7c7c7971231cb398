using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// Every flag the deploy files pass is one the program accepts, read from the code: the trainer's flag
/// table in src/TrainerNode/Program.cs (and the --influx-* options of InfluxSettings once the trainer's
/// wiring uses them), the coordinator command's [CommandOption]s. A trainer refuses an unknown flag at start.
/// </summary>
public sealed partial class CommandLineSpecs
{
    [Fact]
    public void Every_flag_a_trainer_is_given_is_one_the_trainer_accepts()
    {
        var accepted = TrainerFlags();
        var problems = new List<string>();
        foreach (var (where, args) in TrainerCommandLines())
        {
            foreach (var flag in args.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            {
                if (!accepted.Contains(flag))
                    problems.Add($"{flag} ({where})");
            }
            problems.AddRange(FlagsWithoutValue(args, accepted: _ => true, booleans: new HashSet<string>()).Select(f => $"{f} has no value ({where})"));
        }
        Assert.True(problems.Count == 0,
            $"flags the trainer does not accept (it accepts {string.Join(", ", accepted.Order())}):\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void Every_flag_the_coordinator_is_given_is_one_the_coordinator_command_accepts()
    {
        var (withValue, booleans) = CoordinatorFlags();
        var problems = new List<string>();
        foreach (var (where, args) in CoordinatorCommandLines())
        {
            Assert.True(args.Count >= 2 && args[0] == "coordinator" && !args[1].StartsWith("--", StringComparison.Ordinal),
                $"{where}: the command must be `coordinator SPEC ...`, is `{string.Join(' ', args)}`");
            foreach (var flag in args.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            {
                if (!withValue.Contains(flag) && !booleans.Contains(flag))
                    problems.Add($"{flag} ({where})");
            }
            problems.AddRange(FlagsWithoutValue(args, withValue.Contains, booleans).Select(f => $"{f} has no value ({where})"));
        }
        Assert.True(problems.Count == 0,
            $"flags `gridsweep coordinator` does not accept (it accepts {string.Join(", ", withValue.Concat(booleans).Order())}):\n{string.Join("\n", problems)}");
    }

    private static IEnumerable<(string Where, IReadOnlyList<string> Args)> TrainerCommandLines() =>
        ComposeFile.Services(Repository.ComposeFile).Where(s => s.IsTrainer)
            .Select(s => ($"deploy/docker-compose.yml service {s.Name}", s.Command))
            .Concat(KubernetesManifests.Containers().Where(c => c.Image.StartsWith("gridsweep/trainer", StringComparison.Ordinal))
                .Select(c => (c.Where, c.Args)));

    private static IEnumerable<(string Where, IReadOnlyList<string> Args)> CoordinatorCommandLines() =>
        ComposeFile.Services(Repository.ComposeFile).Where(s => s.Dockerfile?.EndsWith("coordinator.Dockerfile", StringComparison.Ordinal) == true)
            .Select(s => ($"deploy/docker-compose.yml service {s.Name}", s.Command))
            .Concat(KubernetesManifests.Containers().Where(c => c.Image.StartsWith("gridsweep/coordinator", StringComparison.Ordinal))
                .Select(c => (c.Where, c.Args)));

    private static IEnumerable<string> FlagsWithoutValue(IReadOnlyList<string> args, Func<string, bool> accepted, IReadOnlySet<string> booleans)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || booleans.Contains(args[i]) || !accepted(args[i]))
                continue;
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                yield return args[i];
            i++;
        }
    }

    /// <summary>The trainer's flags: its Program.cs table, plus InfluxSettings.Options when its wiring uses InfluxSettings.</summary>
    internal static IReadOnlySet<string> TrainerFlags()
    {
        var program = File.ReadAllText(Repository.PathOf("src/TrainerNode/Program.cs"));
        var flags = FlagTableEntry().Matches(program).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("--seed-node", flags);
        var wiring = program + string.Concat(Directory.EnumerateFiles(Repository.PathOf("src/TrainerNode/Hosting"), "*.cs").Select(File.ReadAllText));
        if (wiring.Contains("InfluxSettings", StringComparison.Ordinal))
        {
            var influx = File.ReadAllText(Repository.PathOf("src/TrainerNode/Metrics/InfluxSettings.cs"));
            var options = influx[influx.IndexOf("Options", StringComparison.Ordinal)..];
            foreach (Match m in FlagTableEntry().Matches(options[..options.IndexOf("};", StringComparison.Ordinal)]))
                flags.Add(m.Groups[1].Value);
        }
        return flags;
    }

    /// <summary>The [CommandOption]s of CoordinatorCommand.Settings and the SweepSettings it derives from.</summary>
    private static (IReadOnlySet<string> WithValue, IReadOnlySet<string> Booleans) CoordinatorFlags()
    {
        var withValue = new HashSet<string>();
        var booleans = new HashSet<string>();
        var commands = Repository.PathOf("src/Coordinator/Commands");
        var text = File.ReadAllText(Path.Combine(commands, "CoordinatorCommand.cs"));
        var sweepSettings = Directory.EnumerateFiles(commands, "*.cs").Select(File.ReadAllText)
            .Single(t => t.Contains("class SweepSettings", StringComparison.Ordinal));
        var start = sweepSettings.IndexOf("class SweepSettings", StringComparison.Ordinal);
        var end = sweepSettings.IndexOf("\npublic ", start, StringComparison.Ordinal);
        foreach (Match m in CommandOption().Matches(text + sweepSettings[start..(end < 0 ? sweepSettings.Length : end)]))
            (m.Groups[2].Success ? withValue : booleans).Add(m.Groups[1].Value);
        Assert.Contains("--public-host", withValue);
        return (withValue, booleans);
    }

    [GeneratedRegex(@"\[""(--[a-z][a-z0-9-]*)""\]\s*=")]
    private static partial Regex FlagTableEntry();

    [GeneratedRegex(@"\[CommandOption\(""(--[a-z][a-z0-9-]*)(\s+<[^>]+>)?""\)\]")]
    private static partial Regex CommandOption();
}
