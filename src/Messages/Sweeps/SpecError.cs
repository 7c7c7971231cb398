namespace GridSweep.Messages.Sweeps;

/// <summary>One mistake in a sweep file, located the way compilers do so editors can jump to it.</summary>
/// <param name="Line">1-based; 0 when the mistake has no single place in the file (unreadable file, whole grid).</param>
/// <param name="Field">Dotted path of the offending field, e.g. <c>training.optimizer.beta_1</c> or <c>training.seeds[2]</c>; empty when none applies.</param>
public sealed record SpecError(string File, int Line, int Column, string Field, string Message)
{
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Field.Length > 0 ? $"{location}: {Field}: {Message}" : $"{location}: {Message}";
    }
}

/// <summary>A sweep file, or the grid it declares, is invalid. Carries every mistake found, not just the first.</summary>
public sealed class SweepSpecException(IReadOnlyList<SpecError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<SpecError> Errors { get; } = errors;
}
