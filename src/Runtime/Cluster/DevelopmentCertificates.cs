using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GridSweep.Runtime.Files;

namespace GridSweep.Runtime.Cluster;

/// <summary>A node certificate to make: its name (the file name and common name) and the host names and addresses it answers to.</summary>
public sealed record NodeCertificateRequest(string Name, IReadOnlyList<string> Hosts);

/// <summary>A file <see cref="DevelopmentCertificates"/> wrote, and the certificate's SHA-256 thumbprint for certificates.</summary>
public sealed record WrittenFile(string Path, string? Sha256 = null);

/// <summary>
/// A certificate authority of the cluster's own and node certificates signed by it, for <c>gridsweep certs</c>:
/// ECDSA P-256 keys as unencrypted PEM (PKCS#8) readable by the owner only, certificates as PEM. Every node
/// certificate serves both ends of a connection (server and client authentication), as each member is both.
/// An existing CA in the folder is reused, so nodes can be added later.
/// </summary>
public static class DevelopmentCertificates
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";

    /// <summary>rw------- : a key readable by its owner only.</summary>
    public const UnixFileMode KeyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static IReadOnlyList<WrittenFile> Create(string folder, IReadOnlyList<NodeCertificateRequest> nodes, int nodeDays, int caDays, DateTimeOffset? now = null)
    {
        var start = (now ?? DateTimeOffset.UtcNow).AddMinutes(-5); // Clocks of the machines differ a little.
        Directory.CreateDirectory(folder);
        var written = new List<WrittenFile>();
        using var ca = LoadOrCreateCa(folder, start, caDays, written);
        foreach (var node in nodes)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(new X500DistinguishedName($"CN={node.Name}, O=GridSweep cluster"), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], false));
            request.CertificateExtensions.Add(SubjectAlternativeNames(node));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            var notAfter = start.AddDays(nodeDays) < ca.NotAfter ? start.AddDays(nodeDays) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
            using var certificate = request.Create(ca, start, notAfter, SerialNumber());
            written.Add(WriteKey(Path.Combine(folder, node.Name + ".key"), key));
            written.Add(WriteCertificate(Path.Combine(folder, node.Name + ".crt"), certificate));
        }
        return written;
    }

    private static X509Certificate2 LoadOrCreateCa(string folder, DateTimeOffset start, int days, List<WrittenFile> written)
    {
        var certificatePath = Path.Combine(folder, CaCertificateFile);
        var keyPath = Path.Combine(folder, CaKeyFile);
        if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            if (!File.Exists(certificatePath) || !File.Exists(keyPath))
                throw new Configuration.InputException($"--out: '{folder}' holds {(File.Exists(certificatePath) ? CaCertificateFile : CaKeyFile)} without " +
                    $"{(File.Exists(certificatePath) ? CaKeyFile : CaCertificateFile)}: give both to sign new nodes with that CA, or another folder for a new CA");
            try
            {
                return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            }
            catch (CryptographicException e)
            {
                throw new Configuration.InputException($"--out: the CA in '{folder}' ({CaCertificateFile}, {CaKeyFile}) cannot be loaded: {e.Message}", e);
            }
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN=GridSweep development CA {start:yyyy-MM-dd}, O=GridSweep cluster"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var ca = request.CreateSelfSigned(start, start.AddDays(days));
        written.Add(WriteKey(keyPath, key));
        written.Add(WriteCertificate(certificatePath, ca));
        return ca;
    }

    private static X509Extension SubjectAlternativeNames(NodeCertificateRequest node)
    {
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in node.Hosts.Prepend(node.Name).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out var address))
                names.AddIpAddress(address);
            else
                names.AddDnsName(host);
        }
        return names.Build();
    }

    /// <summary>A positive random serial number of 16 bytes, as RFC 5280 asks (unique, at most 20 bytes).</summary>
    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return serial;
    }

    private static WrittenFile WriteKey(string path, ECDsa key)
    {
        AtomicFile.Write(path, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"), KeyMode);
        return new WrittenFile(path);
    }

    private static WrittenFile WriteCertificate(string path, X509Certificate2 certificate)
    {
        AtomicFile.Write(path, System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
        return new WrittenFile(path, certificate.GetCertHashString(HashAlgorithmName.SHA256));
    }
}
