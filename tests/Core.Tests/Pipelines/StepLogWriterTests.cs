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
