# breach messages (nl); keys must match the other language's file.
