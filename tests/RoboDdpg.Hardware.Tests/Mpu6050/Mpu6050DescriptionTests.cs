using RoboDdpg.Hardware.Description;

namespace RoboDdpg.Hardware.Tests.Mpu6050;

/// <summary>The MPU-6050's range settings are checked when the description loads, with file and line.</summary>
public sealed class Mpu6050DescriptionTests
{
    private static string Robot(string imuSettings) => $$"""
        {
          "name": "imu-only", "control_rate_hz": 50,
          "devices": {
            "imu": { "type": "mpu6050"{{imuSettings}} },
            "m": { "type": "pca9685-dc-motor", "motor": 1 },
          },
          "observation": [ { "name": "w", "signal": "imu.gyro_z", "low": -35, "high": 35 } ],
          "action": [ { "name": "u", "command": "m.duty", "low": -1, "high": 1 } ],
          "safe_action": [0],
          "reward": [ { "action": "u", "weight": -1 } ]
        }
        """;

    [Fact]
    public void Ranges_default_to_the_widest()
    {
        var imu = RobotDescriptionLoader.Parse(Robot(""), "robot.json").Devices[0];
        Assert.Equal((16, 2000), (imu.Settings.GetInt("accel_range_g"), imu.Settings.GetInt("gyro_range_dps")));
    }

    [Theory]
    [InlineData("\"accel_range_g\": 3", "robot.json:4: devices.imu.accel_range_g must be one of 2, 4, 8, 16 (got 3)")]
    [InlineData("\"gyro_range_dps\": 1500", "robot.json:4: devices.imu.gyro_range_dps must be one of 250, 500, 1000, 2000 (got 1500)")]
    public void A_range_the_chip_does_not_have_is_a_description_error(string setting, string message)
    {
        var error = Assert.Throws<RobotDescriptionException>(() => RobotDescriptionLoader.Parse(Robot(", " + setting), "robot.json"));
        Assert.Equal(message, error.Message);
    }
}
