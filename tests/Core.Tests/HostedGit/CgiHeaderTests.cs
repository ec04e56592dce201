using System.Text;
using DevMentor.Core.HostedGit;
using DevMentor.Core.Security;

namespace DevMentor.Core.Tests.HostedGit;

/// <summary>The CGI header block git http-backend prints, and the Basic credentials git sends.</summary>
public sealed class CgiHeaderTests
{
    [Theory]
    [InlineData("Content-Type: application/x-git-upload-pack-advertisement\r\nCache-Control: no-cache\r\n\r\n001e# service", 200, "001e# service")]
    [InlineData("Status: 403 Forbidden\nContent-Type: text/plain\n\nno", 403, "no")]
    [InlineData("Status: 404\r\n\r\n", 404, "")]
    public async Task The_header_block_ends_at_the_first_empty_line_and_the_body_follows(string output, int status, string body)
    {
        using var stdout = new MemoryStream(Encoding.Latin1.GetBytes(output));
        var (parsed, headers, rest) = await GitHttpBackend.ReadHeaderBlockAsync(stdout, CancellationToken.None);
        var remaining = new MemoryStream();
        await stdout.CopyToAsync(remaining);

        Assert.Equal(status, parsed);
        Assert.DoesNotContain(headers, h => h.Key == "Status");
        Assert.Equal(body, Encoding.Latin1.GetString(rest.Span) + Encoding.Latin1.GetString(remaining.ToArray()));
    }

    [Fact]
    public async Task Output_that_ends_inside_the_headers_is_a_500()
    {
        using var stdout = new MemoryStream(Encoding.Latin1.GetBytes("Content-Type: text/plain\r\n"));
        var (status, _, rest) = await GitHttpBackend.ReadHeaderBlockAsync(stdout, CancellationToken.None);
        Assert.Equal((500, 0), (status, rest.Length));
    }

    [Theory]
    [InlineData("Basic dXNlcjprZXk6d2l0aDpjb2xvbnM=", "key:with:colons")] // user:key:with:colons
    [InlineData("basic dXNlcjo=", "")] // user: (empty password)
    [InlineData("Basic !!!", "")]
    [InlineData("Basic dXNlcg==", "")] // no colon
    [InlineData("Bearer abc", null)]
    [InlineData("", null)]
    public void The_password_of_Basic_credentials_is_the_key(string header, string? expected) =>
        Assert.Equal(expected, ApiKeyAuthenticationHandler.BasicPassword(header));
}
