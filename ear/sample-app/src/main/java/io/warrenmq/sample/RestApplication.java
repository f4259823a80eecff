package io.warrenmq.sample;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST entry point under {@code /api}. */
@ApplicationPath("api")
public class RestApplication extends Application {}
