using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Configuration;

namespace GridSweep.Runtime.Tests.Configuration;

/// <summary>
/// The certificate check both sides of every remoting handshake run (<see cref="TlsSettings.Validate"/>), on
/// certificates made by <see cref="DevelopmentCertificates"/>, and the rule that binds TLS to non-loopback addresses.
/// </summary>
public sealed class TlsSettingsSpecs : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gridsweep-tls-").FullName;
    private readonly string other;

    public TlsSettingsSpecs()
    {
        DevelopmentCertificates.Create(folder, [new NodeCertificateRequest("coordinator", []), new NodeCertificateRequest("trainer-1", ["10.0.0.7"])], 30, 60);
        other = Path.Combine(folder, "other");
        DevelopmentCertificates.Create(other, [new NodeCertificateRequest("rogue", [])], 30, 60);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private TlsSettings Node(string name, string? ca = null, params string[] pinned) => TlsSettings.ForClient(new TlsOptions
    {
        Certificate = Path.Combine(folder, name + ".crt"),
        Key = Path.Combine(folder, name + ".key"),
        Ca = ca ?? (pinned.Length == 0 ? Path.Combine(folder, DevelopmentCertificates.CaCertificateFile) : null),
        TrustThumbprints = [.. pinned],
    }, _ => null)!;

    private X509Certificate2 Peer(string path) => X509CertificateLoader.LoadCertificateFromFile(path);

    // Chain errors against the system store and a host name that differs are what SslStream reports for a cluster CA's certificates.
    private const SslPolicyErrors Reported = SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch;

    [Fact]
    public void A_peer_certificate_signed_by_the_given_ca_is_accepted_whatever_the_system_store_and_host_name_say()
    {
        var coordinator = Node("coordinator");
        using var trainer = Peer(Path.Combine(folder, "trainer-1.crt"));

        Assert.True(coordinator.Validate(trainer, null, "127.0.0.1:4053", Reported, NoLogger.Instance));
    }

    [Fact]
    public void A_peer_certificate_from_another_ca_or_none_at_all_is_refused()
    {
        var coordinator = Node("coordinator");
        using var rogue = Peer(Path.Combine(other, "rogue.crt"));
        using var rogueCa = Peer(Path.Combine(other, DevelopmentCertificates.CaCertificateFile));
        using var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.Add(rogueCa);

        Assert.False(coordinator.Validate(rogue, chain, "127.0.0.1:4053", Reported, NoLogger.Instance));
        Assert.False(coordinator.Validate(null, null, "127.0.0.1:4053", SslPolicyErrors.RemoteCertificateNotAvailable, NoLogger.Instance));
        // A self-signed copy of a member's name is no member.
        using var key = ECDsa.Create();
        using var impostor = new CertificateRequest("CN=trainer-1, O=GridSweep cluster", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(coordinator.Validate(impostor, null, "127.0.0.1:4053", Reported, NoLogger.Instance));
    }

    [Fact]
    public void A_pinned_thumbprint_is_trusted_without_a_ca_and_nothing_else_is()
    {
        using var trainer = Peer(Path.Combine(folder, "trainer-1.crt"));
        using var rogue = Peer(Path.Combine(other, "rogue.crt"));
        var sha256 = trainer.GetCertHashString(HashAlgorithmName.SHA256);
        var colons = string.Join(':', Enumerable.Range(0, sha256.Length / 2).Select(i => sha256.Substring(2 * i, 2))).ToLowerInvariant();

        var pinnedSha256 = TlsSettings.ForClient(new TlsOptions
        {
            Certificate = Path.Combine(folder, "coordinator.crt"),
            Key = Path.Combine(folder, "coordinator.key"),
            TrustThumbprints = [colons],
        }, _ => null)!;
        var pinnedSha1 = Node("coordinator", null, trainer.Thumbprint);

        Assert.True(pinnedSha256.Validate(trainer, null, "peer", Reported, NoLogger.Instance));
        Assert.True(pinnedSha1.Validate(trainer, null, "peer", Reported, NoLogger.Instance));
        Assert.False(pinnedSha256.Validate(rogue, null, "peer", Reported, NoLogger.Instance));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("::1", true)]
    [InlineData("localhost", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.0.0.7", false)]
    [InlineData("coordinator", false)]
    public void Only_loopback_addresses_run_without_tls_unacknowledged(string host, bool allowed)
    {
        var cluster = new ClusterNodeOptions { Host = host };
        if (allowed)
            Assert.Null(TlsSettings.From(new TlsOptions(), cluster, _ => null));
        else
            Assert.Contains($"--host: '{host}' is not a loopback address", Assert.Throws<SettingsException>(() => TlsSettings.From(new TlsOptions(), cluster, _ => null)).Message);
        Assert.Null(TlsSettings.From(new TlsOptions { Insecure = true }, cluster, _ => null));
    }

    [Fact]
    public void With_tls_the_seed_nodes_take_the_ssl_scheme_whichever_the_user_wrote()
    {
        var cluster = new ClusterNodeOptions { SeedNodes = ["head:4053", "akka.tcp://gridsweep@standby:4053"], Tls = Node("trainer-1") };

        Assert.Equal(["akka.ssl.tcp://gridsweep@head:4053", "akka.ssl.tcp://gridsweep@standby:4053"], cluster.SeedNodeAddresses());
        Assert.Equal(["akka.tcp://gridsweep@head:4053"], new ClusterNodeOptions { SeedNodes = ["akka.ssl.tcp://gridsweep@head:4053"] }.SeedNodeAddresses());
    }

    [Fact]
    public void The_password_is_never_in_an_error_or_in_the_settings_text()
    {
        const string password = "s3cret-passw0rd";
        var p12 = Path.Combine(folder, "coordinator.p12");
        using (var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(folder, "coordinator.crt"), Path.Combine(folder, "coordinator.key")))
            File.WriteAllBytes(p12, certificate.Export(X509ContentType.Pkcs12, password));
        var options = new TlsOptions { Certificate = p12, Ca = Path.Combine(folder, DevelopmentCertificates.CaCertificateFile) };

        var error = Assert.Throws<SettingsException>(() => TlsSettings.ForClient(options, name => name == TlsSettings.PasswordVariable ? "wrong-" + password : null));
        Assert.Contains($"--tls-certificate: '{p12}' cannot be loaded", error.Message);
        Assert.DoesNotContain(password, error.Message);

        var loaded = TlsSettings.ForClient(options, name => name == TlsSettings.PasswordVariable ? password : null)!;
        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.DoesNotContain(password, loaded.ToString());
    }
}
