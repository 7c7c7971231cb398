namespace GridSweep.Runtime.Configuration;

/// <summary>A secret kept in a file (a Kubernetes or Compose secret, a file only its owner reads): never a flag's value, which <c>ps</c> shows.</summary>
public static class SecretFile
{
    /// <summary>The file's text, or null with a problem naming the setting and the file (never its content).</summary>
    /// <param name="keepSpaces">
    /// Drop only the line break an editor adds, for a password that may start or end with spaces; otherwise all
    /// surrounding white space, for a token.
    /// </param>
    public static string? Read(string path, SettingName setting, SettingProblems problems, bool keepSpaces = false)
    {
        try
        {
            var text = File.ReadAllText(path);
            var secret = keepSpaces ? text.TrimEnd('\r', '\n') : text.Trim();
            if (secret.Length == 0)
                problems.Add(setting, path, "is an empty file");
            return secret.Length == 0 ? null : secret;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(setting, path, $"cannot be read: {e.Message}");
            return null;
        }
    }
}
