using RoboDdpg.Core.Environments;
using RoboDdpg.Core.Random;
using RoboDdpg.Sim.Motors;
using RoboDdpg.Sim.Traces;

namespace RoboDdpg.Sim.CartPole;

/// <summary>
/// Twin of a cart-pole on a belt drive: a brushed DC motor with a gearbox and a belt pulley pulls a carriage along a
/// rail with end stops; an unactuated pole swings on a pivot on the carriage. The task is swing-up and balance.
/// Action PWM duty in [−1, 1]; observation (x, ẋ, cos φ, sin φ, φ̇) from the motor encoder and the pole encoder.
/// </summary>
/// <remarks>
/// <para>State: cart position x (m, 0 = rail centre), cart velocity v = ẋ, pole angle φ (rad, 0 = upright, positive
/// = tip towards +x, not wrapped), ω = φ̇, and armature current i, all float64. With G = N/r (motor radians per metre),
/// u = duty·V (duty 0 shorts the terminals, so a moving cart is braked), M = m_cart + J_rotor·G² (the rotor moves
/// with the cart), pole mass m, first moment S = m_rod·l/2 + m_tip·l and inertia I = m_rod·l²/3 + m_tip·l² about
/// the pivot, the Lagrange equations are</para>
/// <code>
/// L·di/dt                   = u − R·i − Ke·G·v
/// (M + m)·v̇ + S·cos φ·ω̇    = Kt·G·i + S·sin φ·ω² − b_c·v − F_c·sign(v)
/// S·cos φ·v̇ + I·ω̇          = S·g·sin φ − b_p·ω − τ_p·sign(ω)
/// </code>
/// <para>Coulomb friction is set-valued at zero speed on both the rail and the pivot (sticks while the other forces
/// are within the friction limit).</para>
/// <para>
/// Integrator: as in the motor pendulum, the electrical time constant L/R (0.5 ms) is far below the 10 ms control
/// period, so each of the <c>IntegrationSubsteps</c> sub-steps h is backward Euler in everything linear — current,
/// back-EMF, viscous friction on both coordinates, and Coulomb friction on both (stable for any L and friction, exact
/// steady states, no chatter at rest) — and explicit only in the nonlinear conservative terms: gravity and the
/// centripetal term S·sin φ·ω², evaluated at the old state with the mass matrix at the old φ, after which x and φ
/// advance with the new velocities (semi-implicit Euler; with the cart held it is exactly symplectic Euler for the
/// pole). For the free, frictionless cart-pole the energy error is first order in h: 0.25% of S·g after 3 s and
/// 0.5% after 10 s at h = 0.5 ms, a slow loss far below any real friction. A fully implicit or variational scheme
/// would need a nonlinear solve per sub-step for little gain at this step size. Per sub-step:
/// </para>
/// <code>
/// a, c from the motor (ImplicitCurrentStep): i′ = a − c·G·v′
/// A  = [[M + m + h·b_c + h·Kt·G·c·G,  S·cos φ], [S·cos φ,  I + h·b_p]]
/// p  = ((M + m)·v + S·cos φ·ω + h·(S·sin φ·ω² + Kt·G·a),   S·cos φ·v + I·ω + h·S·g·sin φ)
/// A·(v′, ω′) = p − λ,  λ ∈ h·(F_c·Sign(v′), τ_p·Sign(ω′))          (solved exactly: CoulombFrictionSolver)
/// x′ = x + h·v′,  φ′ = φ + h·ω′
/// </code>
/// <para>
/// End stops at x = ±rail_length/2 are inelastic: a cart that reaches one is held there, its velocity into the stop is
/// removed by an impulse on the cart (which also kicks the pole: ω′ += S·cos φ·v′/I), and the step reports
/// <c>Terminated</c>; its reward is lowered by <c>end_stop_penalty</c>. Physics after that remains well defined.
/// </para>
/// <para>
/// Sensing: motor-encoder count floor((x + noise)/Δx) with Δx = 2π·r/(N·CPR_motor); pole-encoder count
/// floor((φ + noise)/Δφ) with Δφ = 2π/CPR_pole; observed position and angle are count·Δ, observed velocities the
/// finite differences of counts over the control period plus Gaussian noise, clipped to ±max_cart_speed and
/// ±max_pole_speed. The current is not observed.
/// </para>
/// <para>
/// Task: swing-up and balance. Reset: pole hanging, φ = π + U[−0.1, 0.1), ω = U[−0.5, 0.5), x = U[−0.05, 0.05),
/// v = 0, i = 0, latency queue full of the safe duty 0. Reward of the exact state before the step and the commanded
/// duty: r = (1 + cos φ)/2 − 0.1·(x/x_stop)² − 0.001·duty² − 0.01·ω² (1 = balanced at rest at the centre, 0 = hanging
/// at rest at the centre), minus end_stop_penalty on the step that reaches a stop. The height term is dense, so
/// pumping energy pays at once; the velocity term (Pendulum-v1 has 0.1·θ̇²) makes spinning the pole over the top,
/// which averages (1 + cos φ)/2 = 0.5, worth less than holding it up (without it a 20k-step DDPG run learned to spin).
/// The penalty, 50 by default, equals the discounted value of balancing for ever, 1/(1 − γ) at γ = 0.98: hitting a
/// stop costs as much as the whole future of a balanced pole, so ending an episode there is not a shortcut. Episodes are truncated at max_episode_steps (500, 5 s).
/// </para>
/// </remarks>
public sealed class BeltCartPoleEnvironment : EnvironmentBase, ITraceReplayable
{
    public const string Name = "belt-cartpole";
    public const double ResetAngleSpread = 0.1;
    public const double ResetSpeedSpread = 0.5;
    public const double ResetPositionSpread = 0.05;

    /// <summary>Column layout of a cart-pole trace: start state (x, v, φ, ω, i), duty, exact (x, v, cos φ, sin φ, ω).</summary>
    public static TraceSchema Schema { get; } = new(
        StateColumns: ["x0", "xdot0", "phi0", "phidot0", "i0"],
        ActionColumns: ["action"],
        OutputColumns: ["x", "xdot", "cos", "sin", "phidot"]);

    // Different streams for resets and sensor noise so the reset distribution does not depend on noise settings.
    private const ulong NoiseStreamSalt = 0x9E3779B97F4A7C15;

    private readonly CartPoleParameters _p;
    private readonly Xoshiro256 _rng;
    private readonly Xoshiro256 _noiseRng;
    private readonly ActuationDelay _latency;
    private readonly ImplicitCurrentStep _currentStep;
    private readonly double _h;
    private readonly double _cartDamping;   // h·b_c + h·Kt·G·c·G: viscous friction plus back-EMF braking, implicit
    private readonly double _massSum;       // M + m
    private readonly double _countLength;
    private readonly double _countAngle;
    private double _x;
    private double _v;
    private double _phi;
    private double _omega;
    private double _current;
    private double _appliedDuty;
    private long _cartCount;
    private long _poleCount;
    private double _measuredCartVelocity;
    private double _measuredPoleVelocity;
    private int _elapsedSteps;
    private bool _hasState;

    /// <param name="parameters">Plant parameters; null for the defaults. Validated here.</param>
    /// <param name="seed">Seed of the reset distribution and sensor noise; null draws one from the system.</param>
    public BeltCartPoleEnvironment(CartPoleParameters? parameters = null, ulong? seed = null)
        : base(CreateSpec(Validated(parameters ?? new CartPoleParameters())))
    {
        _p = parameters ?? new CartPoleParameters();
        var s = seed ?? unchecked((ulong)System.Random.Shared.NextInt64(long.MinValue, long.MaxValue));
        _rng = new Xoshiro256(s);
        _noiseRng = new Xoshiro256(s ^ NoiseStreamSalt);
        _latency = new ActuationDelay(_p.LatencyTicks);
        _h = _p.ControlPeriod / _p.IntegrationSubsteps;
        _currentStep = _p.Motor.CurrentStep(_h);
        var g = _p.MotorRadiansPerMetre;
        _cartDamping = _h * _p.CartViscousFriction + _h * _p.ForceConstant * _currentStep.SpeedGain * g;
        _massSum = _p.CartMovingMass + _p.PoleTotalMass;
        _countLength = _p.CartCountLength;
        _countAngle = _p.PoleCountAngle;
    }

    public CartPoleParameters Parameters => _p;

    /// <summary>Exact cart position in m, 0 = rail centre.</summary>
    public double CartPosition => _x;

    /// <summary>Exact cart velocity in m/s.</summary>
    public double CartVelocity => _v;

    /// <summary>Exact pole angle in rad, 0 = upright, positive = tip towards +x, not wrapped.</summary>
    public double PoleAngle => _phi;

    /// <summary>Exact pole angular velocity in rad/s.</summary>
    public double PoleAngularVelocity => _omega;

    /// <summary>Exact armature current in A.</summary>
    public double Current => _current;

    /// <summary>Force the motor puts on the cart through gears and belt, Kt·(N/r)·i, in N.</summary>
    public double MotorForce => _p.ForceConstant * _current;

    /// <summary>The duty applied during the last step (the commanded one <c>LatencyTicks</c> steps earlier).</summary>
    public double AppliedDuty => _appliedDuty;

    /// <summary>Motor-encoder count of the last observation.</summary>
    public long CartEncoderCount => _cartCount;

    /// <summary>Pole-encoder count of the last observation.</summary>
    public long PoleEncoderCount => _poleCount;

    /// <summary>Observed cart position in m: a whole number of counts, count·2π·r/(N·CPR).</summary>
    public double MeasuredCartPosition => _cartCount * _countLength;

    /// <summary>Observed pole angle in rad: a whole number of counts, count·2π/CPR.</summary>
    public double MeasuredPoleAngle => _poleCount * _countAngle;

    /// <summary>Observed cart velocity in m/s (finite difference of counts, plus noise, clipped).</summary>
    public double MeasuredCartVelocity => _measuredCartVelocity;

    /// <summary>Observed pole velocity in rad/s (finite difference of counts, plus noise, clipped).</summary>
    public double MeasuredPoleVelocity => _measuredPoleVelocity;

    /// <summary>Steps since the last <see cref="IEnvironment.Reset"/> or <see cref="SetState"/>.</summary>
    public int ElapsedSteps => _elapsedSteps;

    TraceSchema ITraceReplayable.TraceSchema => Schema;

    /// <summary>
    /// Places the plant in an exact state (trace replay, tests) and starts a new episode there: the latency queue is
    /// refilled with the safe duty, and the encoders' previous readings are taken one period back along the given
    /// velocities, so the first observed velocities are meaningful.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite, or x is beyond an end stop.</exception>
    public void SetState(double x, double xDot, double phi, double phiDot, double current)
    {
        if (!double.IsFinite(x) || Math.Abs(x) > _p.RailHalfLength)
            throw new ArgumentOutOfRangeException(nameof(x), x, $"must be within the end stops ±{_p.RailHalfLength}");
        if (!double.IsFinite(xDot)) throw new ArgumentOutOfRangeException(nameof(xDot), xDot, "must be finite");
        if (!double.IsFinite(phi)) throw new ArgumentOutOfRangeException(nameof(phi), phi, "must be finite");
        if (!double.IsFinite(phiDot)) throw new ArgumentOutOfRangeException(nameof(phiDot), phiDot, "must be finite");
        if (!double.IsFinite(current)) throw new ArgumentOutOfRangeException(nameof(current), current, "must be finite");
        _x = x;
        _v = xDot;
        _phi = phi;
        _omega = phiDot;
        _current = current;
        _appliedDuty = 0;
        _latency.Clear();
        _cartCount = ReadCount(x - xDot * _p.ControlPeriod, _countLength);
        _poleCount = ReadCount(phi - phiDot * _p.ControlPeriod, _countAngle);
        _elapsedSteps = 0;
        _hasState = true;
        Sense();
    }

    void ITraceReplayable.SetState(ReadOnlySpan<double> state)
    {
        if (state.Length != 5) throw new ArgumentException($"{Name} state has 5 entries, got {state.Length}", nameof(state));
        SetState(state[0], state[1], state[2], state[3], state[4]);
    }

    /// <summary>The observation from the exact state in float64: x, ẋ, cos φ, sin φ, φ̇ (what twin-check compares).</summary>
    public void WriteExactObservation(Span<double> observation)
    {
        if (observation.Length != 5) throw new ArgumentException($"observation has {observation.Length} entries, expected 5", nameof(observation));
        observation[0] = _x;
        observation[1] = _v;
        observation[2] = Math.Cos(_phi);
        observation[3] = Math.Sin(_phi);
        observation[4] = _omega;
    }

    void ITraceReplayable.WriteOutputs(Span<double> outputs) => WriteExactObservation(outputs);

    /// <summary>
    /// The reward for being in the exact state (x, φ, φ̇) while commanding <paramref name="duty"/>, before any end-stop
    /// penalty: (1 + cos φ)/2 − 0.1·(x/x_stop)² − 0.001·duty² − 0.01·φ̇².
    /// </summary>
    public double Reward(double x, double phi, double phiDot, double duty)
    {
        var position = x / _p.RailHalfLength;
        var upright = 0.5 * (1 + Math.Cos(phi));
        return upright - 0.1 * position * position - 0.001 * duty * duty - 0.01 * phiDot * phiDot;
    }

    protected override void OnReset(ulong? seed, Span<float> observation)
    {
        if (seed is { } s)
        {
            _rng.Reseed(s);
            _noiseRng.Reseed(s ^ NoiseStreamSalt);
        }
        // Hanging down near the centre, slightly disturbed: the task starts with the swing-up.
        var phi = Math.PI + _rng.NextUniform(-ResetAngleSpread, ResetAngleSpread);
        var phiDot = _rng.NextUniform(-ResetSpeedSpread, ResetSpeedSpread);
        var x = _rng.NextUniform(-ResetPositionSpread, ResetPositionSpread);
        SetState(x, 0.0, phi, phiDot, 0.0);
        WriteObservation(observation);
    }

    protected override StepResult OnStep(ReadOnlySpan<float> action, Span<float> observation)
    {
        if (!_hasState)
            throw new InvalidOperationException($"{Name}: Step needs a Reset (or SetState) first");
        var a = action[0];
        if (float.IsNaN(a))
            throw new ArgumentException("action 'duty' is NaN", nameof(action));
        var duty = Math.Clamp((double)a, -1.0, 1.0);

        var reward = Reward(_x, _phi, _omega, duty);

        var applied = _latency.Push(duty); // commanded k steps ago (the safe duty right after a reset)
        _appliedDuty = applied;

        var hitStop = Integrate(applied * _p.SupplyVoltage);
        _elapsedSteps++;

        Sense();
        WriteObservation(observation);
        if (hitStop) reward -= _p.EndStopPenalty;
        return new StepResult(reward, Terminated: hitStop, Truncated: _elapsedSteps >= _p.MaxEpisodeSteps);
    }

    /// <summary>One control period of the semi-implicit scheme in the class remarks; true if the cart reached an end stop.</summary>
    private bool Integrate(double u)
    {
        var p = _p;
        var h = _h;
        var step = _currentStep;
        var g = p.MotorRadiansPerMetre;
        var forceConstant = p.ForceConstant;
        var speedGain = step.SpeedGain * g; // current drop per m/s of cart speed
        var s = p.PoleFirstMoment;
        var inertia = p.PoleInertia;
        var gravityMoment = s * p.Gravity;
        var a00 = _massSum + _cartDamping;
        var a11 = inertia + h * p.PivotViscousFriction;
        var cartFriction = h * p.CartCoulombFriction;
        var pivotFriction = h * p.PivotCoulombFriction;
        var stop = p.RailHalfLength;

        var x = _x;
        var v = _v;
        var phi = _phi;
        var omega = _omega;
        var current = _current;
        var hitStop = false;
        for (var k = 0; k < p.IntegrationSubsteps; k++)
        {
            var free = step.FreeCurrent(current, u);
            var (sin, cos) = Math.SinCos(phi);
            var coupling = s * cos;
            var p0 = _massSum * v + coupling * omega + h * (s * sin * omega * omega + forceConstant * free);
            var p1 = coupling * v + inertia * omega + h * gravityMoment * sin;
            CoulombFrictionSolver.Solve(a00, coupling, a11, p0, p1, cartFriction, pivotFriction, out v, out omega);
            current = free - speedGain * v;
            x += h * v;
            phi += h * omega;

            if (x >= stop || x <= -stop)
            {
                hitStop = true;
                x = Math.Clamp(x, -stop, stop);
                if (x * v > 0)
                {
                    // Inelastic impact on the cart alone: the impulse that stops it also acts on the pole through the
                    // coupling term (row 2 of the mass matrix: S·cos φ·Δv + I·Δω = 0).
                    omega += s * Math.Cos(phi) * v / inertia;
                    v = 0;
                }
            }
        }
        _x = x;
        _v = v;
        _phi = phi;
        _omega = omega;
        _current = current;
        return hitStop;
    }

    /// <summary>Reads both encoders for the current state and derives the observed velocities.</summary>
    private void Sense()
    {
        var previousCart = _cartCount;
        var previousPole = _poleCount;
        var p = _p;
        var x = p.PositionNoiseStd > 0 ? _x + p.PositionNoiseStd * _noiseRng.NextGaussian() : _x;
        var phi = p.AngleNoiseStd > 0 ? _phi + p.AngleNoiseStd * _noiseRng.NextGaussian() : _phi;
        _cartCount = ReadCount(x, _countLength);
        _poleCount = ReadCount(phi, _countAngle);

        var cartVelocity = (_cartCount - previousCart) * _countLength / p.ControlPeriod;
        if (p.CartVelocityNoiseStd > 0) cartVelocity += p.CartVelocityNoiseStd * _noiseRng.NextGaussian();
        _measuredCartVelocity = Math.Clamp(cartVelocity, -p.MaxCartSpeed, p.MaxCartSpeed);

        var poleVelocity = (_poleCount - previousPole) * _countAngle / p.ControlPeriod;
        if (p.PoleVelocityNoiseStd > 0) poleVelocity += p.PoleVelocityNoiseStd * _noiseRng.NextGaussian();
        _measuredPoleVelocity = Math.Clamp(poleVelocity, -p.MaxPoleSpeed, p.MaxPoleSpeed);
    }

    // An incremental encoder counts whole steps: floor, so the reading is the same on both sides of zero.
    private static long ReadCount(double value, double countSize) => (long)Math.Floor(value / countSize);

    private void WriteObservation(Span<float> observation)
    {
        var angle = MeasuredPoleAngle;
        observation[0] = (float)MeasuredCartPosition;
        observation[1] = (float)_measuredCartVelocity;
        observation[2] = (float)Math.Cos(angle);
        observation[3] = (float)Math.Sin(angle);
        observation[4] = (float)_measuredPoleVelocity;
    }

    private static CartPoleParameters Validated(CartPoleParameters parameters)
    {
        parameters.Validate();
        return parameters;
    }

    private static EnvironmentSpec CreateSpec(CartPoleParameters p) => new(
        Name,
        new BoxSpec(
            ["cart_position", "cart_velocity", "cos_phi", "sin_phi", "phi_dot"],
            [(float)-p.RailHalfLength, (float)-p.MaxCartSpeed, -1f, -1f, (float)-p.MaxPoleSpeed],
            [(float)p.RailHalfLength, (float)p.MaxCartSpeed, 1f, 1f, (float)p.MaxPoleSpeed]),
        new BoxSpec(["duty"], [-1f], [1f]),
        SafeAction: [0f],
        ControlPeriodSeconds: p.ControlPeriod,
        MaxEpisodeSteps: p.MaxEpisodeSteps);
}
