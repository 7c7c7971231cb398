namespace GridSweep.Runtime.Configuration;

/// <summary>
/// Mutual TLS between cluster members (<c>GridSweep:Tls</c>): on when a certificate is given. The key's password
/// is never a setting: it comes from a file or <see cref="Cluster.TlsSettings.PasswordVariable"/>.
/// </summary>
public sealed class TlsOptions : IOptionsSection
{
    public static string Section => "GridSweep:Tls";

    [Setting("--tls-certificate", "This node's certificate: a PEM file (with --tls-key) or a PKCS#12 file (.p12/.pfx) holding the key too. Turns on mutual TLS for remoting: every peer must present a trusted certificate. Default: off.", ValueName = "FILE")]
    public string? Certificate { get; set; }

    [Setting("--tls-key", "The PEM private key of a PEM --tls-certificate (encrypted PKCS#8 needs the password).", ValueName = "FILE")]
    public string? Key { get; set; }

    [Setting("--tls-password-file", "File holding the password of the PKCS#12 file or the encrypted key; else $GRIDSWEEP_TLS_PASSWORD. Never printed.", ValueName = "FILE")]
    public string? PasswordFile { get; set; }

    [Setting("--tls-ca", "PEM file of the certificate authority (or several) whose certificates peers must have; gridsweep certs makes one.", ValueName = "FILE")]
    public string? Ca { get; set; }

    [Setting("--tls-trust-thumbprint", "Trust a peer certificate by its SHA-256 or SHA-1 thumbprint (hex, colons allowed), instead of or besides --tls-ca; repeat for several.", ValueName = "HEX")]
    public List<string> TrustThumbprints { get; set; } = [];

    [Setting("--insecure", "Allow binding a non-loopback --host without TLS: anyone who reaches the port can join the cluster. Without TLS, only loopback is allowed unless this is given.")]
    public bool Insecure { get; set; }

    public bool Enabled => Certificate is not null;

    public void Validate(SettingProblems problems)
    {
        if (Certificate is null)
        {
            if (Key is not null || PasswordFile is not null || Ca is not null || TrustThumbprints.Count > 0)
                problems.AddMissing(SettingName.Of<TlsOptions>(nameof(Certificate)), "needed when any other --tls-* setting is given");
            return;
        }
        if (Insecure)
            problems.Add(this, nameof(Insecure), "contradicts --tls-certificate: give one or the other");
        if (Ca is null && TrustThumbprints.Count == 0)
            problems.AddMissing(SettingName.Of<TlsOptions>(nameof(Ca)), "needed with --tls-certificate: the CA whose certificates peers must have (or --tls-trust-thumbprint)");
    }
}
