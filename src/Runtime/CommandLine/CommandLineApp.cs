using System.CommandLine;
using System.Runtime.InteropServices;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Files;

namespace GridSweep.Runtime.CommandLine;

/// <summary>
/// How every GridSweep program runs its command line: a parse error (an unknown or misspelled flag, a
/// missing value) and bad input found later are printed on standard error, unwrapped, and exit with
/// <see cref="ExitCodes.BadInput"/>; Ctrl+C and SIGTERM cancel the command's token so it can stop gracefully.
/// </summary>
public static class CommandLineApp
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        var program = root.Name;
        // A misspelled flag also leaves its value unmatched; naming the flag alone says what to fix.
        var unknownFlags = UnknownFlags(parsed).ToList();
        var errors = unknownFlags.Count > 0 ? unknownFlags : parsed.Errors.Select(e => e.Message).ToList();
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await Console.Error.WriteLineAsync($"{program}: {error}");
            await Console.Error.WriteLineAsync($"see '{program} {CommandPath(parsed)}--help'");
            return ExitCodes.BadInput;
        }

        using var stop = new CancellationTokenSource();
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            // The commands stop gracefully on the token themselves; System.CommandLine's own signal handling
            // would end the process after a fixed timeout instead.
            return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, stop.Token);
        }
        catch (Exception error) when (error is InputException or SweepSpecException)
        {
            await Console.Error.WriteLineAsync(Redaction.Url(error.Message));
            return ExitCodes.BadInput;
        }
        catch (Exception error) when (StorageFullException.Is(error))
        {
            // A full disk somewhere no command expected it (a cache, a spool): its message names the file.
            await Console.Error.WriteLineAsync($"{program}: no space left: {Redaction.Url(Innermost(error).Message)}; free space there (or point the setting for that folder elsewhere) and run the same command again");
            return ExitCodes.BadInput;
        }
        catch (Cluster.NodeRemovedException removed)
        {
            await Console.Error.WriteLineAsync($"{program}: {removed.Message}");
            return ExitCodes.RemovedFromCluster;
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static Exception Innermost(Exception error)
    {
        var e = error;
        while (e.InnerException is { } inner && StorageFullException.Is(inner))
            e = inner;
        return e;
    }

    /// <summary>
    /// A misspelled flag (<c>--dat</c>) that System.CommandLine would take as a positional argument's value:
    /// refused, with the flags it may have meant.
    /// </summary>
    private static IEnumerable<string> UnknownFlags(ParseResult parsed)
    {
        var known = new List<string>();
        for (var command = parsed.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            known.AddRange(command.Command.Options.SelectMany(o => o.Aliases.Append(o.Name)));
        foreach (var token in parsed.Tokens)
        {
            if (token.Type != System.CommandLine.Parsing.TokenType.Argument || !token.Value.StartsWith("--", StringComparison.Ordinal) || token.Value == "--")
                continue;
            var flag = token.Value.Split('=')[0];
            if (known.Contains(flag))
                continue;
            var near = known.Where(k => k.StartsWith(flag, StringComparison.Ordinal) || Distance(k, flag) <= 2).Distinct().ToList();
            yield return near.Count > 0
                ? $"unknown option '{flag}'; did you mean {string.Join(" or ", near)}?"
                : $"unknown option '{flag}'";
        }
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var command = parsed.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
            if (command.Command is not RootCommand)
                names.Insert(0, command.Command.Name);
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }
}
