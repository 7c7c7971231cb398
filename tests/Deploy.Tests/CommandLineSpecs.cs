using System.CommandLine;
using GridSweep.Runtime.CommandLine;

namespace GridSweep.Deploy.Tests;

/// <summary>
/// Every flag the deploy files pass is one the program accepts, as its command declares it
/// (<see cref="CommandFlags"/>); the programs refuse an unknown flag at start.
/// </summary>
public sealed class CommandLineSpecs
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
        ComposeFile.Services(Repository.ComposeFile).Where(s => s.IsCoordinator)
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

    /// <summary>The trainer's flags, as its command declares them.</summary>
    internal static IReadOnlySet<string> TrainerFlags()
    {
        var flags = CommandFlags.Trainer().Options.Select(o => o.Name).ToHashSet();
        Assert.Contains("--seed-node", flags);
        return flags;
    }

    /// <summary>The flags of the coordinator image's program (<c>coordinator</c> without trainer slots): switches apart.</summary>
    private static (IReadOnlySet<string> WithValue, IReadOnlySet<string> Booleans) CoordinatorFlags()
    {
        var options = CommandFlags.Coordinator(canTrain: false).Options;
        var booleans = options.Where(o => o is Option<bool>).Select(o => o.Name).ToHashSet();
        var withValue = options.Where(o => o is not Option<bool>).Select(o => o.Name).ToHashSet();
        Assert.Contains("--public-host", withValue);
        Assert.Contains("--ledger", withValue);
        Assert.Contains("--ledger-password-file", withValue);
        Assert.Contains("--stay", booleans);
        return (withValue, booleans);
    }
}
