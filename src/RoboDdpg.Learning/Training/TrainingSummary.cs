using System.Text.Json;
using System.Text.Json.Serialization;

namespace RoboDdpg.Learning.Training;

/// <summary>summary.json of a training run.</summary>
public sealed record TrainingSummary(
    string Environment,
    ulong Seed,
    bool Completed,
    double EvalMeanReturn,
    double EvalStdReturn,
    int EvalEpisodes,
    ulong EvalSeed,
    long EnvSteps,
    long Updates,
    long Episodes,
    double WallSeconds,
    double EnvStepsPerS,
    double UpdatesPerS,
    double UpdateMsMean,
    [property: JsonPropertyName("first_step_reaching_minus_200")] long? FirstStepReachingMinus200,
    string Policy,
    string Checkpoint)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
