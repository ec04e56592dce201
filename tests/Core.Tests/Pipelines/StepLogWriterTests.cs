using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using Moq;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class StepLogWriterTests
{
    private static readonly ClaimedStep Step = new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), 1, "build", 0, 1, 60, DateTimeOffset.UtcNow, null, null,
        new PipelineDefinition([new StepDefinition("build", [])]));

    private static (StepLogWriter Writer, List<string> Chunks) Create(long maxBytes)
    {
        var chunks = new List<string>();
        var source = new Mock<IJobSource>();
        source.Setup(s => s.AppendLogAsync(Step, It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Callback<ClaimedStep, string, CancellationToken>((_, text, _) => chunks.Add(text))
            .ReturnsAsync(true);
        return (new StepLogWriter(source.Object, Step, maxBytes), chunks);
    }

    [Fact]
    public async Task Lines_are_shipped_in_order_and_nothing_twice()
    {
        var (writer, chunks) = Create(1024);
        writer.WriteLine("one");
        await writer.FlushAsync(CancellationToken.None);
        writer.WriteLine("two");
        await writer.FlushAsync(CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal(["one\n", "two\n"], chunks);
    }

    [Fact]
    public async Task Output_past_the_cap_is_dropped_with_one_notice()
    {
        var (writer, chunks) = Create(10);
        writer.WriteLine("12345");
        writer.WriteLine("67890");
        writer.WriteLine("more");

        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal("12345\n[devmentor] log truncated at 10 bytes\n", string.Concat(chunks));
    }

    [Fact]
    public async Task Large_output_is_shipped_in_chunks_that_fit_a_request()
    {
        var (writer, chunks) = Create(10_000_000);
        var line = new string('x', 1000);
        for (var i = 0; i < 400; i++)
        {
            writer.WriteLine(line);
        }

        await writer.FlushAsync(CancellationToken.None);

        Assert.True(chunks.Count >= 3);
        Assert.All(chunks, c => Assert.True(c.Length <= StepLogWriter.MaxChunkChars));
        Assert.Equal(400 * 1001, chunks.Sum(c => c.Length));
    }
}

public sealed class StepLogWriterRedactionTests
{
    private static readonly ClaimedStep Step = new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), 1, "build", 0, 1, 60, DateTimeOffset.UtcNow, null, null,
        new PipelineDefinition([new StepDefinition("build", [])]));

    private static (StepLogWriter Writer, List<string> Chunks) Create(long maxBytes, params string[] secrets)
    {
        var chunks = new List<string>();
        var source = new Mock<IJobSource>();
        source.Setup(s => s.AppendLogAsync(Step, It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Callback<ClaimedStep, string, CancellationToken>((_, text, _) => chunks.Add(text))
            .ReturnsAsync(true);
        return (new StepLogWriter(source.Object, Step, maxBytes, secrets), chunks);
    }

    [Fact]
    public async Task Configured_secrets_are_masked_longest_first()
    {
        var (writer, chunks) = Create(1024, "hunter22", "hunter22-extended", "abc");
        writer.WriteLine("token hunter22-extended and hunter22, abc stays (too short to mask)");

        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal("token *** and ***, abc stays (too short to mask)\n", string.Concat(chunks));
    }

    [Fact]
    public async Task A_secret_on_a_chunk_boundary_is_masked_before_the_log_is_cut_into_chunks()
    {
        const string Secret = "SECRET-VALUE-0123456789";
        var (writer, chunks) = Create(10_000_000, Secret);
        // The secret would straddle the first chunk boundary if it were still there when chunking.
        writer.WriteLine(new string('x', StepLogWriter.MaxChunkChars - 5) + Secret + new string('y', 100));

        await writer.FlushAsync(CancellationToken.None);

        Assert.True(chunks.Count >= 2);
        var all = string.Concat(chunks);
        Assert.DoesNotContain("SECRET", all, StringComparison.Ordinal);
        Assert.Contains("xxxxx***yyy", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cap_counts_the_redacted_text_and_ends_with_the_truncation_marker()
    {
        var (writer, chunks) = Create(12, "0123456789");
        writer.WriteLine("0123456789"); // *** + newline = 4 bytes
        writer.WriteLine("abcdef");     // 7 more: 11
        writer.WriteLine("past the cap");

        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal("***\nabcdef\n[devmentor] log truncated at 12 bytes\n", string.Concat(chunks));
    }

    [Fact]
    public async Task Text_whose_write_fails_or_is_canceled_is_sent_by_the_next_flush_before_newer_lines()
    {
        var chunks = new List<string>();
        var failures = 2;
        var source = new Mock<IJobSource>();
        source.Setup(s => s.AppendLogAsync(Step, It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns<ClaimedStep, string, CancellationToken>((_, text, _) => failures-- switch
            {
                2 => Task.FromException<bool>(new IOException("the blob store is busy")),
                1 => Task.FromCanceled<bool>(new CancellationToken(canceled: true)),
                _ => Task.FromResult(Record(chunks, text)),
            });
        var writer = new StepLogWriter(source.Object, Step, 1024);

        writer.WriteLine("first");
        await Assert.ThrowsAsync<IOException>(() => writer.FlushAsync(CancellationToken.None));
        writer.WriteLine("second");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.FlushAsync(CancellationToken.None));
        writer.WriteLine("third");
        await writer.FlushAsync(CancellationToken.None);

        Assert.Equal(["first\nsecond\nthird\n"], chunks);
    }

    private static bool Record(List<string> chunks, string text)
    {
        chunks.Add(text);
        return true;
    }
}
