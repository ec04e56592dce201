using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Reports;
using DevMentor.Core.Pipelines.Execution;

namespace DevMentor.Core.Pipelines.Runners;

/// <summary>DevMentor.Runner's job source: the service's runner API over HTTP, authenticated by the runner token.</summary>
public sealed class RunnerApiClient(HttpClient http, string token) : IJobSource
{
    public static async Task<RegisterRunnerResponse> RegisterAsync(HttpClient http, string registrationToken, string name, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/runners/register", new RegisterRunnerRequest(registrationToken, name, labels), PipelineJsonContext.Default.RegisterRunnerRequest, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync(PipelineJsonContext.Default.RegisterRunnerResponse, cancellationToken))!;
    }

    public async Task<ClaimedStep?> ClaimAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Clamp(wait.TotalSeconds, 0, 30);
        using var response = await SendAsync($"/runners/jobs/next?wait={seconds}", null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync(PipelineJsonContext.Default.RunnerJob, cancellationToken))!.ToClaimedStep();
    }

    public async Task<HeartbeatAction> HeartbeatAsync(ClaimedStep step, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"/runners/jobs/{step.StepId}/heartbeat", JsonContent.Create(new HeartbeatRequest(step.Attempt), PipelineJsonContext.Default.HeartbeatRequest), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return HeartbeatAction.Lost;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync(PipelineJsonContext.Default.HeartbeatResponse, cancellationToken);
        return body?.Action == "cancel" ? HeartbeatAction.Cancel : HeartbeatAction.Continue;
    }

    public async Task<bool> AppendLogAsync(ClaimedStep step, string text, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"/runners/jobs/{step.StepId}/log", JsonContent.Create(new LogRequest(step.Attempt, text), PipelineJsonContext.Default.LogRequest), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return true;
    }

    public async Task<CompletionOutcome?> CompleteAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken) =>
        (await CompleteAsync(step, result, claimNext: false, cancellationToken)).Outcome;

    public Task<(CompletionOutcome? Outcome, ClaimedStep? Next)> CompleteAndClaimNextAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken) =>
        CompleteAsync(step, result, claimNext: true, cancellationToken);

    private async Task<(CompletionOutcome? Outcome, ClaimedStep? Next)> CompleteAsync(ClaimedStep step, StepResult result, bool claimNext, CancellationToken cancellationToken)
    {
        var request = new CompleteRequest(step.Attempt, RunnerOutcomes.ToWire(result.Kind), result.ExitCode, result.Error,
            result.Outputs is null ? null : new Dictionary<string, string>(result.Outputs), result.Plan, claimNext);
        using var response = await SendAsync($"/runners/jobs/{step.StepId}/complete", JsonContent.Create(request, PipelineJsonContext.Default.CompleteRequest), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return (null, null);
        }

        await EnsureSuccessAsync(response, cancellationToken);
        var body = (await response.Content.ReadFromJsonAsync(PipelineJsonContext.Default.CompleteResponse, cancellationToken))!;
        return (new CompletionOutcome(true, PipelineStatusNames.ParseStep(body.StepStatus), PipelineStatusNames.ParseRun(body.RunStatus)), body.Next?.ToClaimedStep());
    }

    public async Task<bool> ReportTestsAsync(ClaimedStep step, TestSummary summary, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"/runners/jobs/{step.StepId}/tests", JsonContent.Create(new TestsRequest(step.Attempt, summary), PipelineJsonContext.Default.TestsRequest), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return true;
    }

    public async Task<ArtifactInfo?> UploadArtifactAsync(ClaimedStep step, string name, Stream content, long length, CancellationToken cancellationToken)
    {
        var body = new StreamContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        body.Headers.ContentLength = length;
        using var response = await SendAsync(
            $"/runners/jobs/{step.StepId}/artifacts?attempt={step.Attempt}&name={Uri.EscapeDataString(name)}", body, cancellationToken, HttpMethod.Put);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync(PipelineJsonContext.Default.ArtifactInfo, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(string path, HttpContent? content, CancellationToken cancellationToken, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {body[..Math.Min(body.Length, 500)]}", null, response.StatusCode);
        }
    }
}
