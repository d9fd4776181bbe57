#include <governed/image_detail.hpp>

#include <catch2/catch.hpp>

using governed::ImageDetail;

TEST_CASE("an image detail reads from OpenAI's wire names and writes them back; any other text is none",
          "[image]") {
  CHECK(governed::image_detail_from("auto") == ImageDetail::automatic);
  CHECK(governed::image_detail_from("low") == ImageDetail::low);
  CHECK(governed::image_detail_from("high") == ImageDetail::high);
  for (auto d : {ImageDetail::automatic, ImageDetail::low, ImageDetail::high})
    CHECK(governed::image_detail_from(governed::to_string(d)) == d);
  CHECK_FALSE(governed::image_detail_from("automatic"));
  CHECK_FALSE(governed::image_detail_from("HIGH"));
  CHECK_FALSE(governed::image_detail_from(""));
  // The default a part gets is `auto`, as OpenAI's when the field is left out.
  CHECK(ImageDetail{} == ImageDetail::automatic);
}
