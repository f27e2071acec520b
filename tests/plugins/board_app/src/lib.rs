//! `board_app`: calls the functions a board application offers under its import
//! module `board`. Capabilities `app:sensors.read` and `app:gpio.write`.
//!
//! - `sensor`: the input is a sensor name; returns its reading (`NOT_FOUND` for
//!   an unknown sensor).
//! - `toggle`: the input is a pin number as text; sets it high and returns the
//!   previous level as text.
//! - `sensors_sum`: reads the sensors named in the input (comma-separated) and
//!   returns the sum of their readings.

use caplet_guest::Error;

caplet_guest::manifest!(
    r#"{
  "name": "board_app",
  "version": "1.0.0",
  "description": "Calls the board application's functions",
  "entrypoints": ["sensor", "toggle", "sensors_sum"],
  "capabilities": ["app:sensors.read", "app:gpio.write"]
}"#
);

caplet_guest::app_functions! {
    module "board" {
        /// A sensor's reading, as text.
        fn read_sensor(bytes) -> bytes;
        /// Sets `pin` to `level`; returns the previous level.
        fn gpio_set(pin: i32, level: i32) -> i32;
    }
}

fn sensor(input: &[u8]) -> Result<Vec<u8>, Error> {
    read_sensor(input)
}

fn toggle(input: &[u8]) -> Result<String, Error> {
    let pin: i32 = std::str::from_utf8(input)?.trim().parse()?;
    Ok(gpio_set(pin, 1).to_string())
}

fn sensors_sum(input: &[u8]) -> Result<String, Error> {
    let mut sum = 0.0f64;
    for name in std::str::from_utf8(input)?.split(',') {
        let reading = read_sensor(name.trim().as_bytes())?;
        sum += std::str::from_utf8(&reading)?.parse::<f64>()?;
    }
    Ok(sum.to_string())
}

caplet_guest::entrypoint!(sensor, toggle, sensors_sum);
