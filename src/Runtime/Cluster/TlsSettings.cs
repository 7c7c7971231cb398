using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using GridSweep.Runtime.Configuration;

namespace GridSweep.Runtime.Cluster;

/// <summary>
/// This node's certificate and what it trusts, loaded and checked from <see cref="TlsOptions"/>. Remoting then
/// runs over mutual TLS: each side of every connection presents its certificate and checks the other's with
/// <see cref="Validate"/>; a peer without a trusted one never gets past the handshake. The password is only
/// held while the key is loaded and never printed.
/// </summary>
public sealed class TlsSettings
{
    public const string PasswordVariable = "GRIDSWEEP_TLS_PASSWORD";

    private readonly X509Certificate2Collection authorities;
    private readonly HashSet<string> pinned;

    private TlsSettings(X509Certificate2 certificate, X509Certificate2Collection authorities, HashSet<string> pinned)
    {
        Certificate = certificate;
        this.authorities = authorities;
        this.pinned = pinned;
    }

    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>
    /// The TLS settings from the bound options, or null when TLS is off. Off is refused for a node that binds a
    /// non-loopback address unless <see cref="TlsOptions.Insecure"/> acknowledges it.
    /// </summary>
    /// <exception cref="SettingsException">Every problem found, each naming its flag, setting and file; never the password.</exception>
    public static TlsSettings? From(TlsOptions options, ClusterNodeOptions cluster, Func<string, string?>? environment = null, DateTimeOffset? now = null)
    {
        var problems = new SettingProblems();
        options.Validate(problems);
        problems.ThrowIfAny();
        if (!options.Enabled)
        {
            if (!options.Insecure && !IsLoopback(cluster.Host))
                problems.Add(SettingName.Of<ClusterNodeOptions>(nameof(ClusterNodeOptions.Host)), cluster.Host,
                    "is not a loopback address, and remoting without TLS lets anyone who reaches the port join the cluster: " +
                    "give --tls-certificate, --tls-key and --tls-ca (gridsweep certs makes a development set; README, \"Security\"), " +
                    "or --insecure to acknowledge that the network is trusted");
            problems.ThrowIfAny();
            return null;
        }
        return Load(options, environment ?? Environment.GetEnvironmentVariable, now ?? DateTimeOffset.UtcNow);
    }

    /// <summary>The TLS settings of a client that binds loopback only (<c>gridsweep status</c>): null when off.</summary>
    public static TlsSettings? ForClient(TlsOptions options, Func<string, string?>? environment = null, DateTimeOffset? now = null) =>
        From(options, new ClusterNodeOptions { Host = IPAddress.Loopback.ToString() }, environment, now);

    /// <summary>127.0.0.0/8, ::1 or localhost: only this machine can connect.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>
    /// Akka's certificate check, called on both sides of each handshake. Akka validates only against the system's
    /// trust store (or not at all), and a cluster's CA is rarely in it, so the chain is built here against the
    /// given CA alone (<see cref="X509ChainTrustMode.CustomRootTrust"/>); pinned thumbprints are accepted as such.
    /// The host name is not checked: members are known by their certificate, and their addresses change (pods).
    /// </summary>
    public bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            log.Warning("TLS: refused {0}: it presented no certificate", remotePeer);
            return false;
        }
        if (IsPinned(certificate))
        {
            if (DateTime.Now >= certificate.NotBefore && DateTime.Now <= certificate.NotAfter)
                return true;
            log.Warning("TLS: refused {0}: its pinned certificate {1} is valid only from {2:u} to {3:u}", remotePeer, certificate.Subject, certificate.NotBefore, certificate.NotAfter);
            return false;
        }
        if (authorities.Count == 0)
        {
            log.Warning("TLS: refused {0}: its certificate {1} (SHA-256 {2}) is not pinned", remotePeer, certificate.Subject, Sha256(certificate));
            return false;
        }
        var problem = ChainProblem(certificate, chain?.ChainElements.Select(e => e.Certificate));
        if (problem is null)
            return true;
        log.Warning("TLS: refused {0}: its certificate {1} (issuer {2}) is not trusted: {3}", remotePeer, certificate.Subject, certificate.Issuer, problem);
        return false;
    }

    /// <summary>The validation callback Akka takes.</summary>
    public CertificateValidationCallback Validator => Validate;

    private bool IsPinned(X509Certificate2 certificate) =>
        pinned.Contains(certificate.Thumbprint.ToUpperInvariant()) || pinned.Contains(Sha256(certificate));

    private static string Sha256(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256).ToUpperInvariant();

    /// <summary>Null when <paramref name="certificate"/> chains to one of the given authorities, else why not.</summary>
    private string? ChainProblem(X509Certificate2 certificate, IEnumerable<X509Certificate2>? intermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // A cluster's own CA publishes no revocation list; revoking a node means a new CA or pinned thumbprints (README, "Security").
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var extra in intermediates ?? [])
            chain.ChainPolicy.ExtraStore.Add(extra);
        if (chain.Build(certificate))
            return null;
        return string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("no chain to the trusted CA"));
    }

    private static TlsSettings? Load(TlsOptions options, Func<string, string?> environment, DateTimeOffset now)
    {
        var problems = new SettingProblems();
        var certificateSetting = SettingName.Of<TlsOptions>(nameof(TlsOptions.Certificate));
        var passwordSetting = SettingName.Of<TlsOptions>(nameof(TlsOptions.PasswordFile));
        var password = options.PasswordFile is null
            ? NonEmpty(environment(PasswordVariable))
            : SecretFile.Read(options.PasswordFile, passwordSetting, problems, keepSpaces: true);

        var authorities = new X509Certificate2Collection();
        if (options.Ca is { } ca)
        {
            var caSetting = SettingName.Of<TlsOptions>(nameof(TlsOptions.Ca));
            try
            {
                authorities.ImportFromPemFile(ca);
                if (authorities.Count == 0)
                    problems.Add(caSetting, ca, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                problems.Add(caSetting, ca, $"cannot be read as PEM certificates: {e.Message}");
            }
        }

        var pinned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var thumbprint in options.TrustThumbprints)
        {
            var hex = thumbprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
            if (hex.Length is 40 or 64 && hex.All(char.IsAsciiHexDigit))
                pinned.Add(hex);
            else
                problems.Add(SettingName.Of<TlsOptions>(nameof(TlsOptions.TrustThumbprints)), thumbprint, "is not a SHA-256 (64 hex digits) or SHA-1 (40 hex digits) thumbprint");
        }

        var certificate = password is null && options.PasswordFile is not null ? null : LoadCertificate(options, password, problems);
        if (certificate is not null)
        {
            if (!certificate.HasPrivateKey)
                problems.Add(certificateSetting, options.Certificate, "has no private key: give the PEM key with --tls-key, or a PKCS#12 file that holds it");
            if (now < certificate.NotBefore.ToUniversalTime())
                problems.Add(certificateSetting, options.Certificate, $"is not valid before {certificate.NotBefore.ToUniversalTime():u}");
            if (now > certificate.NotAfter.ToUniversalTime())
                problems.Add(certificateSetting, options.Certificate, $"expired on {certificate.NotAfter.ToUniversalTime():u}; make a new one (gridsweep certs)");
        }
        problems.ThrowIfAny();

        var settings = new TlsSettings(certificate!, authorities, pinned);
        // Peers check this node's certificate the same way: one that fails here would be refused by all of them.
        if (pinned.Count == 0 && settings.ChainProblem(certificate!, null) is { } problem)
            problems.Add(certificateSetting, options.Certificate, $"is not signed by --tls-ca '{options.Ca}', so peers would refuse it: {problem}");
        problems.ThrowIfAny();
        return settings;
    }

    /// <summary>A PEM certificate with its key (in --tls-key, or in the same file), or a PKCS#12 file.</summary>
    private static X509Certificate2? LoadCertificate(TlsOptions options, string? password, SettingProblems problems)
    {
        var path = options.Certificate!;
        var certificateSetting = SettingName.Of<TlsOptions>(nameof(TlsOptions.Certificate));
        var keySetting = SettingName.Of<TlsOptions>(nameof(TlsOptions.Key));
        if (!File.Exists(path))
        {
            problems.Add(certificateSetting, path, "does not exist");
            return null;
        }
        if (options.Key is { } key && !File.Exists(key))
        {
            problems.Add(keySetting, key, "does not exist");
            return null;
        }
        try
        {
            var isPem = File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal);
            if (!isPem)
            {
                if (options.Key is not null)
                    problems.Add(keySetting, options.Key, "is only for a PEM certificate; a PKCS#12 --tls-certificate holds its key");
                return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }
            var keyPath = options.Key ?? path;
            var keyText = File.ReadAllText(keyPath);
            if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                problems.Add(options.Key is null ? certificateSetting : keySetting, keyPath,
                    options.Key is null ? "is a PEM certificate without its key: give the key with --tls-key" : "holds no PEM private key");
                return null;
            }
            if (keyText.Contains("ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                if (password is null)
                {
                    problems.Add(options.Key is null ? certificateSetting : keySetting, keyPath,
                        $"holds an encrypted key: give its password with --tls-password-file or {PasswordVariable}");
                    return null;
                }
                return X509Certificate2.CreateFromEncryptedPemFile(path, password, options.Key);
            }
            return X509Certificate2.CreateFromPemFile(path, options.Key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // .NET's messages name neither file nor password: "the key does not match" (ArgumentException), "the password may be incorrect".
            var what = options.Key is null ? "cannot be loaded (wrong password, or not a certificate with its key)" : $"cannot be loaded with --tls-key '{options.Key}' (key not matching the certificate, or wrong password)";
            problems.Add(certificateSetting, path, $"{what}: {e.Message}");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(certificateSetting, path, $"cannot be read: {e.Message}");
            return null;
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public override string ToString() =>
        $"TlsSettings {{ Certificate = {Certificate.Subject} (SHA-256 {Sha256(Certificate)}), Authorities = {authorities.Count}, Pinned = {pinned.Count}, Password = (redacted) }}";
}
