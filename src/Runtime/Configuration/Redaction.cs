using System.Text.RegularExpressions;

namespace GridSweep.Runtime.Configuration;

/// <summary>
/// The one way secrets are kept out of what GridSweep prints, logs and writes: a URL's password (user-info or a
/// query parameter such as <c>?password=</c>) becomes <see cref="Mask"/>, and known secret values are masked
/// wherever they appear in a message (an exception from a library may echo what it was given).
/// </summary>
public static partial class Redaction
{
    public const string Mask = "***";

    /// <summary><c>http://user:secret@influx:8086</c> as <c>http://user:***@influx:8086</c>; the user stays, as it names who connects.</summary>
    public static string Url(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var redacted = UserInfoPassword().Replace(url, m => $"{m.Groups["head"].Value}{Mask}@");
        return SecretQueryParameter().Replace(redacted, m => $"{m.Groups["name"].Value}={Mask}");
    }

    /// <summary><paramref name="text"/> with every URL's password and every one of <paramref name="secrets"/> masked.</summary>
    public static string Text(string text, params IEnumerable<string?> secrets)
    {
        ArgumentNullException.ThrowIfNull(text);
        var redacted = Url(text);
        // Longest first, so a secret that contains another is masked whole.
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)).Distinct().OrderByDescending(s => s!.Length))
        {
            redacted = redacted.Replace(secret!, Mask, StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(secret!);
            if (escaped != secret)
                redacted = redacted.Replace(escaped, Mask, StringComparison.Ordinal);
        }
        return redacted;
    }

    /// <summary><c>scheme://user:</c> then the password up to the last <c>@</c> before the host.</summary>
    [GeneratedRegex(@"(?<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#@:\s]*:)[^/?#\s]*@")]
    private static partial Regex UserInfoPassword();

    [GeneratedRegex(@"(?<name>[?&](?:password|passwd|pwd|token|sslpassword|api[_-]?key|secret)[^=&#\s]*)=[^&#\s]*", RegexOptions.IgnoreCase)]
    private static partial Regex SecretQueryParameter();
}
