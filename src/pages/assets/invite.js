"use strict";
PE.start(async () => {});
