using System.Security.Cryptography;
using DevMentor.Core.Integrations.Secrets;
using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.Tests.Integrations;

public sealed class WebhookSecretCipherTests
{
    private static readonly WebhookSecretCipher Cipher = new(RandomNumberGenerator.GetBytes(WebhookSecretCipher.KeyBytes));

    [Fact]
    public void A_secret_decrypts_for_its_project_only()
    {
        var project = Guid.NewGuid();
        var sealedBytes = Cipher.Encrypt(project, "s3cret-for-this-project");

        Assert.Equal("s3cret-for-this-project", Cipher.Decrypt(project, sealedBytes));
        Assert.Null(Cipher.Decrypt(Guid.NewGuid(), sealedBytes));
    }

    [Fact]
    public void A_tampered_ciphertext_or_another_key_does_not_decrypt()
    {
        var project = Guid.NewGuid();
        var sealedBytes = Cipher.Encrypt(project, "s3cret-for-this-project");
        var tampered = (byte[])sealedBytes.Clone();
        tampered[^1] ^= 1;

        Assert.Null(Cipher.Decrypt(project, tampered));
        Assert.Null(new WebhookSecretCipher(RandomNumberGenerator.GetBytes(32)).Decrypt(project, sealedBytes));
        Assert.Null(Cipher.Decrypt(project, [1, 2, 3]));
    }

    [Fact]
    public void The_same_secret_encrypts_differently_each_time()
    {
        var project = Guid.NewGuid();

        Assert.NotEqual(Cipher.Encrypt(project, "same"), Cipher.Encrypt(project, "same"));
        Assert.NotEqual(WebhookSecretCipher.NewSecret(), WebhookSecretCipher.NewSecret());
    }

    [Fact]
    public void A_projects_own_secret_wins_when_both_match_and_none_matching_is_invalid()
    {
        var project = Guid.NewGuid();
        WebhookSecretCandidate[] candidates = [new(null, "global"), new(project, "own")];

        Assert.Equal((true, (Guid?)project), WebhookSecretCandidates.Match(candidates, _ => true));
        Assert.Equal((true, (Guid?)null), WebhookSecretCandidates.Match(candidates, s => s == "global"));
        Assert.Equal((false, (Guid?)null), WebhookSecretCandidates.Match(candidates, _ => false));
    }
}
