namespace GridSweep.Coordinator.Reports;

/// <summary>A run folder that cannot be reported on: missing, not a GridSweep folder, or nothing finished in it.</summary>
public sealed class ReportException(string message, Exception? inner = null) : Exception(message, inner);
