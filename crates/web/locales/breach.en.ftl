# breach messages (en); keys must match the other language's file.
