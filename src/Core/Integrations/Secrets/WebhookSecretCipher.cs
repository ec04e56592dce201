using System.Security.Cryptography;
using System.Text;

namespace DevMentor.Core.Integrations.Secrets;

/// <summary>
/// AES-256-GCM for per-project webhook secrets at rest. The project id is the associated data, so
/// a ciphertext copied onto another project's row does not decrypt there.
/// </summary>
public sealed class WebhookSecretCipher
{
    public const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private readonly byte[] _key;

    public WebhookSecretCipher(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"The webhook secret key must be {KeyBytes} bytes.", nameof(key));
        }

        _key = key;
    }

    public byte[] Encrypt(Guid projectId, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), projectId.ToByteArray());
        return sealedBytes;
    }

    /// <returns>Null when the ciphertext was not made with this key for this project (a changed key, a copied row).</returns>
    public string? Decrypt(Guid projectId, byte[] sealedBytes)
    {
        if (sealedBytes.Length < NonceBytes + TagBytes)
        {
            return null;
        }

        var plain = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), plain, projectId.ToByteArray());
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    /// <summary>A new webhook secret: 32 random bytes as 64 hex characters (what GitHub's UI accepts).</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
