#pragma once
// The segmentation commands (`nabla data make-segmentation`, `nabla segment`) and the test that tells
// `nabla train` a segmentation model; the other commands are declared in commands.h.
#include "cli/commands.h"
#include "cli/training_setup.h"

namespace nabla::cli {

Runner add_data_command(CLI::App& app);
Runner add_segment_command(CLI::App& app);

bool is_segmentation_model(const TrainingConfig& config);  // the model reads dataset "segmentation"

}  // namespace nabla::cli
