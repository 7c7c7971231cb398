namespace GridSweep.Runtime.Configuration;

/// <summary>
/// Bad input found before anything ran or was written: a setting, a flag, a file. The command line prints
/// the message on standard error and exits with <see cref="CommandLine.ExitCodes.BadInput"/>.
/// </summary>
public class InputException(string message, Exception? innerException = null) : Exception(message, innerException);
